"""Payment provider plugins; each registers itself with ``registry.register`` when imported."""
