"""The help desk console: the caller found as the call comes in, the 360 view, one-click cases."""
