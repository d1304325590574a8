"""semcodec package."""
