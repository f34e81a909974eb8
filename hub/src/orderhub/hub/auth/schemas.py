"""API shapes for tokens. The secret is shown once, in the answer to its creation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from orderhub.hub.auth.tokens import Role

TokenName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")]


class TokenIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: TokenName
    """Who or what uses it ("alice", "warehouse-scanner-2"); shown in order history."""
    role: Role
    locations: list[str] = []
    """Warehouse role only: the location codes it may change stock at (at least one)."""


class TokenOut(msgspec.Struct, kw_only=True):
    name: str
    role: Role
    locations: list[str]
    prefix: str
    """The first characters of the secret, to recognise it."""
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut, kw_only=True):
    secret: str
    """The bearer token. It is not stored and cannot be shown again."""


class TokenList(msgspec.Struct, kw_only=True):
    items: list[TokenOut]
