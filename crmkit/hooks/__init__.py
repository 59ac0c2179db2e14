"""Hook specifications, markers and the plugin host."""
