"""Sales force automation: opportunities through pipelines, quotations into orders, targets and forecasts."""
