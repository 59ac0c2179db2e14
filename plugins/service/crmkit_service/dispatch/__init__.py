"""Field and roadside dispatch: a technician or partner sent to a case, with status times on the timeline."""
