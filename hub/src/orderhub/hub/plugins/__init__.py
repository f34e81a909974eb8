"""Installed plugins as the API shows them."""
