"""Planning: reminders and alerts, sales targets and their attainment, forecasts, dashboard widgets."""
