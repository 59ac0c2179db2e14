"""Results: NPS and CSAT with confidence intervals, distributions, trends, cross-tabs, free-text search, CSV."""
