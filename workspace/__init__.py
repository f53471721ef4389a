"""Folders the project's own commands make, and the only ones they ever empty or delete."""
