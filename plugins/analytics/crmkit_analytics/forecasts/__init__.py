"""The forecasts part of the analytics plugin."""
