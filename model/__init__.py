"""parley.model: the event model's config, heads and label maps."""
