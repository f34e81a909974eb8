"""Channel policies: validated when the hub starts (errors name the key), plugin rules usable
by name, and a location's ships_to honoured by routing through the API."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec
import pytest

from orderhub.core.hookspecs import hookimpl
from orderhub.core.plugins import PluginManager
from orderhub.core.routing import Candidate, RoutingRequest, Verdict
from orderhub.hub.assembly import open_hub
from orderhub.hub.config import ConfigError, parse_settings
from orderhub.hub.testing import auth

from .conftest import active_reservations, order_body, place, set_stock


class OnlyEvenPriority(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A plugin filter: keep locations whose priority is a multiple of `step`."""

    name: ClassVar[str] = "priority_step"
    step: int = 2

    def check(self, candidate: Candidate, request: RoutingRequest) -> Verdict:
        keep = candidate.priority % self.step == 0
        return Verdict(keep=keep, reason=f"priority {candidate.priority} step {self.step}")


class RulePlugin:
    @hookimpl
    def orderhub_register_routing_rules(self, register: Any) -> None:
        register(OnlyEvenPriority)


def plugins() -> PluginManager:
    manager = PluginManager(allow=["manual", "spreadsheet"])
    manager.load_entrypoints()
    manager.pm.register(RulePlugin(), name="rules")
    manager.check_pending()
    return manager


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"allocation": {"routing": {"rules": ["destination", "nearest"]}}},
            "allocation.routing.rules[1]: unknown routing rule 'nearest'",
        ),
        (
            {"allocation": {"routing": {"rules": [{"rule": "priority_step", "stride": 3}]}}},
            "allocation.routing.rules[0]: routing rule 'priority_step': "
            "Object contains unknown field `stride`",
        ),
        (
            {"allocation": {"checks": {"fraud": {"review_above": {"EUR": "lots"}}}}},
            "allocation.checks.fraud",
        ),
        (
            {"connections": {"web": {"connector": "manual", "checks": {"adress": {}}}}},
            "connections.web.checks.adress: no check named 'adress'",
        ),
        (
            {"connections": {"web": {"connector": "manual", "payment": {"require": "cash"}}}},
            "connections.web.payment.require: Invalid enum value 'cash'",
        ),
        (
            {
                "connections": {
                    "web": {"connector": "manual", "availability": {"policy": {"cap": -1}}}
                }
            },
            "connections.web.availability.policy: cap must be zero or more",
        ),
        (
            {"connections": {"web": {"connector": "manual", "routing": {"backorder": "maybe"}}}},
            "connections.web.routing.backorder",
        ),
    ],
)
def test_bad_policy_stops_the_hub_naming_the_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        open_hub(parse_settings(config), plugins=plugins())
    assert message in str(error.value)


def test_plugin_rule_and_per_channel_settings_are_built() -> None:
    settings = parse_settings(
        {
            "allocation": {"checks": {"fraud": {"review_above": {"EUR": "500.00"}}}},
            "connections": {
                "web": {
                    "connector": "manual",
                    "feeds_from": ["PAR-WH"],
                    "routing": {"rules": [{"rule": "priority_step", "step": 5}, "distance"]},
                    "payment": {"require": "paid"},
                    "checks": {"availability": {"enabled": True}, "duplicate": {"enabled": False}},
                }
            },
        }
    )
    hub = open_hub(settings, plugins=plugins())
    web = hub.policies.for_connection("web")
    assert [getattr(c, "name", None) for c in web.checks] == [
        "availability",
        "payment",
        "address",
        "fraud",
    ]
    assert web.check_settings == {"payment": {"require": "paid"}}
    assert web.fed_by("PAR-WH") and not web.fed_by("MRS-WH")
    manual = hub.policies.for_connection("manual")
    assert [getattr(c, "name", None) for c in manual.checks] == [
        "payment",
        "address",
        "duplicate",
        "fraud",
    ]
    assert "priority_step" in hub.policies.rule_classes


# ------------------------------------------------------------------------------ ships_to


@pytest.fixture
def hub_config() -> dict[str, Any]:
    return {"connections": {"phone": {"connector": "manual", "feeds_from": ["PAR-WH", "MRS-WH"]}}}


async def test_location_ships_to_through_the_api_and_routing(client, tokens, hub, world):
    admin = auth(tokens["admin"])
    response = await client.put(
        "/locations/MRS-WH",
        json={"name": "Marseille warehouse", "ships_to": ["FR", "DE", "ES-CT"]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["ships_to"] == ["DE", "ES-CT", "FR"]
    bad = await client.put(
        "/locations/MRS-WH", json={"name": "x", "ships_to": ["germany"]}, headers=admin
    )
    assert bad.status_code == 400

    await set_stock(hub, {("TEE", "PAR-WH"): 5, ("TEE", "MRS-WH"): 5})
    body = order_body(("TEE", 1), connection="phone")
    body["shipping_address"] = {
        "name": "Lena Vogel",
        "line1": "Unter den Linden 1",
        "city": "Berlin",
        "postal_code": "10117",
        "country": "DE",
        "point": {"lat": 52.517, "lon": 13.389},
    }
    order = await place(client, tokens, body)
    assert order["status"] == "allocated"
    # Paris is nearer to Berlin but delivers only to France and Belgium.
    assert await active_reservations(hub, order["id"]) == {("TEE", "MRS-WH"): 1}
    simulated = await client.post(
        "/routing/simulate", json={"order_id": order["id"]}, headers=admin
    )
    trace = simulated.json()["trace"]
    assert {
        "rule": "destination",
        "location": "PAR-WH",
        "decision": "dropped",
        "reason": "does not deliver to DE (delivers to BE, FR)",
    } in trace
