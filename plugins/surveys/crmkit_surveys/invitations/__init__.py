"""Who is asked: sends to a segment, list or parties over email or SMS, after-event rules, signed personal links."""
