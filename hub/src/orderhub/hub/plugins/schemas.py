"""API shapes for plugins."""

from __future__ import annotations

import msgspec

from orderhub.core.plugins import PluginInfo


class PluginList(msgspec.Struct, kw_only=True):
    items: list[PluginInfo]
    """By name; blocked plugins (deny list, not in the allow list) have `enabled` false."""
