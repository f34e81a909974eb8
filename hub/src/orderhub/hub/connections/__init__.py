"""Connections as the API shows them: configuration, capabilities and health."""
