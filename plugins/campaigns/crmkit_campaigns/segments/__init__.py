"""Segments: a filter language over parties compiled to one SQL query, saved segments, static lists and suppression lists."""
