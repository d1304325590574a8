"""linksim package."""
