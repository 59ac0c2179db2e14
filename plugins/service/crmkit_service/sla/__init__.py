"""Service levels: business-hour calendars, policies, clocks that pause, warnings, escalation, breaches, compliance."""
