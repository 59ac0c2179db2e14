"""Call notes: phone calls on the timeline, follow-ups that are not forgotten."""
