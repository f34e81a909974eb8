"""decode_settings: strict decoding of a connection's settings, errors that name the key."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import pytest

from orderhub.core.connection import Connection, SettingsError, decode_settings

PATH = "connections.shop-eu.settings"


class Endpoint(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    host: str
    port: int = 443


class ShopSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    api_key: str
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    page_size: int = 50
    endpoint: Endpoint = Endpoint(host="api.example.com")
    mirrors: list[Endpoint] = []
    weights: dict[str, int] = {}

    def __post_init__(self) -> None:
        if self.page_size > 250:
            raise ValueError("page_size cannot exceed 250")


def test_decodes_and_coerces_strings_from_the_environment() -> None:
    settings = decode_settings(
        ShopSettings,
        {"api_key": "k", "page_size": "100", "timeout_seconds": "2.5", "endpoint": {"host": "h"}},
        PATH,
    )
    assert settings == ShopSettings(
        api_key="k", page_size=100, timeout_seconds=2.5, endpoint=Endpoint(host="h")
    )


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        ({}, PATH, "Object missing required field `api_key`"),
        ({"api_key": "k", "apikey": "k"}, PATH, "Object contains unknown field `apikey`"),
        ({"api_key": 5}, f"{PATH}.api_key", "Expected `str`, got `int`"),
        ({"api_key": "k", "page_size": "many"}, f"{PATH}.page_size", "Expected `int`, got `str`"),
        (
            {"api_key": "k", "timeout_seconds": 0},
            f"{PATH}.timeout_seconds",
            "Expected `float` > 0.0",
        ),
        (
            {"api_key": "k", "endpoint": {"host": "h", "port": "x"}},
            f"{PATH}.endpoint.port",
            "Expected `int`, got `str`",
        ),
        (
            {"api_key": "k", "endpoint": {"host": "h", "tls": True}},
            f"{PATH}.endpoint",
            "Object contains unknown field `tls`",
        ),
        (
            {"api_key": "k", "mirrors": [{"host": "a"}, {}]},
            f"{PATH}.mirrors[1]",
            "Object missing required field `host`",
        ),
        (
            {"api_key": "k", "weights": {"a": "heavy"}},
            f"{PATH}.weights[...]",
            "Expected `int`, got `str`",
        ),
        ({"api_key": "k", "page_size": 500}, PATH, "page_size cannot exceed 250"),
    ],
)
def test_errors_name_the_failing_key(raw: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        decode_settings(ShopSettings, raw, PATH)
    error = caught.value
    assert error.path == path
    assert error.message == message
    assert str(error) == f"{path}: {message}"
    assert isinstance(error.__cause__, msgspec.ValidationError)


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_connection_defaults_are_not_shared() -> None:
    one = Connection(id="a", connector="demo")
    two = Connection(id="b", connector="demo")
    one.locations["1"] = "W"
    one.feeds_from.append("W")
    assert two.locations == {} and two.feeds_from == []
    assert one.enabled and one.settings is None
