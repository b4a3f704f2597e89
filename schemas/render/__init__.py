"""Renderers: validated registry -> generated configuration (plain, deterministic dicts)."""
