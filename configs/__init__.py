"""Shipped configuration files (schema, training configs, labeling config)."""
