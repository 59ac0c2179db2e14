"""The churn part of the analytics plugin."""
