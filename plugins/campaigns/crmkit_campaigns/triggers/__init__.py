"""After-sales campaigns: triggers from what customers own and when, evaluated daily, each occurrence entered once."""
