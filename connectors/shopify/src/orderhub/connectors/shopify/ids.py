"""Shopify ids in their two spellings: REST integers and GraphQL global ids (GIDs).

OrderHub stores the numeric form ("820982911946154508") so that an order seen through a
webhook and through the GraphQL poll gets the same external id; the GraphQL API wants GIDs
("gid://shopify/Order/820982911946154508").
"""

from __future__ import annotations

_PREFIX = "gid://shopify/"


def to_gid(resource: str, value: str | int) -> str:
    """The GID for a numeric id, or the value itself when it already is one."""
    text = str(value).strip()
    if text.startswith(_PREFIX):
        return text
    if not text.isdigit():
        raise ValueError(f"not a Shopify {resource} id: {value!r}")
    return f"{_PREFIX}{resource}/{text}"


def numeric_id(value: str | int) -> str:
    """The numeric id inside a GID ("gid://shopify/Order/12?x=1" -> "12"), or the id itself."""
    text = str(value).strip()
    if text.startswith(_PREFIX):
        text = text.rsplit("/", 1)[-1].split("?", 1)[0]
    if not text.isdigit():
        raise ValueError(f"not a Shopify id: {value!r}")
    return text
