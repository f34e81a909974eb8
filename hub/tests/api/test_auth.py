"""Tokens, authentication, roles, the body size limit and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from orderhub.hub.store.tables import ApiTokenRow, OrderRow
from orderhub.hub.testing import auth

from .conftest import count_rows

# ----------------------------------------------------------------------------- tokens


async def test_token_secret_is_shown_once_and_works_until_revoked(client, tokens, hub):
    admin = auth(tokens["admin"])
    created = await client.post(
        "/tokens", json={"name": "alice", "role": "operator"}, headers=admin
    )
    assert created.status_code == 201
    body = created.json()
    secret = body.pop("secret")
    assert secret.startswith("ohk_")
    assert body["name"] == "alice"
    assert body["role"] == "operator"
    assert body["prefix"] == secret[:10]
    assert body["revoked_at"] is None

    assert (await client.get("/orders", headers=auth(secret))).status_code == 200

    listed = await client.get("/tokens", headers=admin)
    assert listed.status_code == 200
    assert secret not in listed.text
    async with hub.read() as session:
        alice = (await session.execute(ApiTokenRow.__table__.select())).all()
    hashes = [row.token_hash for row in alice]
    assert not any(token_hash in listed.text for token_hash in hashes)
    names = [item["name"] for item in listed.json()["items"]]
    assert "alice" in names
    assert set(listed.json()["items"][0]) == {
        "name",
        "role",
        "locations",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    }

    revoked = await client.delete("/tokens/alice", headers=admin)
    assert revoked.status_code == 204
    refused = await client.get("/orders", headers=auth(secret))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    again = await client.delete("/tokens/alice", headers=admin)
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "unknown_token"
    # The name is free again once revoked.
    reused = await client.post(
        "/tokens", json={"name": "alice", "role": "read-only"}, headers=admin
    )
    assert reused.status_code == 201


async def test_a_token_revoked_elsewhere_stops_working_within_the_cache_time(
    client, tokens, hub, app
):
    """The CLI (or another API process) revokes in the database only: this process trusts
    what it checked for `api.token_cache_seconds`, then asks again and refuses."""
    import asyncio

    from orderhub.hub.auth.tokens import revoke_token

    app.state.token_cache.ttl = 2.0
    reader = auth(tokens["read-only"])
    assert (await client.get("/orders", headers=reader)).status_code == 200
    async with hub.transaction() as session:
        assert await revoke_token(session, "test-read-only") == 1
    assert (await client.get("/orders", headers=reader)).status_code == 200
    await asyncio.sleep(2.1)
    refused = await client.get("/orders", headers=reader)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"


async def test_a_token_in_use_shows_when_it_was_last_used(client, tokens, hub):
    before = await client.get("/tokens", headers=auth(tokens["admin"]))
    assert {t["name"]: t["last_used_at"] for t in before.json()["items"]}["test-read-only"] is None
    assert (await client.get("/orders", headers=auth(tokens["read-only"]))).status_code == 200
    listed = await client.get("/tokens", headers=auth(tokens["admin"]))
    used = {t["name"]: t["last_used_at"] for t in listed.json()["items"]}
    assert used["test-read-only"] is not None
    assert used["test-operator"] is None


async def test_without_the_cache_every_request_checks_the_database(client, tokens, hub, app):
    from orderhub.hub.auth.tokens import revoke_token

    app.state.token_cache.ttl = 0
    reader = auth(tokens["read-only"])
    assert (await client.get("/orders", headers=reader)).status_code == 200
    async with hub.transaction() as session:
        await revoke_token(session, "test-read-only")
    assert (await client.get("/orders", headers=reader)).status_code == 401


async def test_one_active_token_per_name_even_when_created_at_once(hub):
    import asyncio

    import sqlalchemy as sa

    from orderhub.hub.auth.tokens import create_token, issue_token, revoke_token
    from orderhub.hub.errors import Conflict

    async def issue() -> str | Conflict:
        try:
            async with hub.transaction() as session:
                return await issue_token(session, "twin", "operator")
        except Conflict as exc:
            return exc

    first, second = await asyncio.gather(issue(), issue())
    outcomes = sorted(type(result).__name__ for result in (first, second))
    assert outcomes == ["Conflict", "str"]
    conflict = first if isinstance(first, Conflict) else second
    assert conflict.code == "token_exists"

    # The database itself refuses a second active token of that name...
    with pytest.raises(sa.exc.IntegrityError):
        async with hub.transaction() as session:
            await create_token(session, "twin", "operator")
    # ...and takes a new one once the old is revoked.
    async with hub.transaction() as session:
        await revoke_token(session, "twin")
        await create_token(session, "twin", "operator")
    assert await count_rows(hub, ApiTokenRow) == 2


async def test_warehouse_token_made_through_the_api_is_scoped(client, tokens, catalog):
    admin = auth(tokens["admin"])
    created = await client.post(
        "/tokens",
        json={"name": "scanner-2", "role": "warehouse", "locations": ["WH2"]},
        headers=admin,
    )
    assert created.status_code == 201
    assert created.json()["locations"] == ["WH2"]
    scanner = auth(created.json()["secret"])
    assert (
        await client.put("/stock/MUG/WH2", json={"on_hand": 3}, headers=scanner)
    ).status_code == 200
    assert (
        await client.put("/stock/MUG/WH1", json={"on_hand": 3}, headers=scanner)
    ).status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "w", "role": "warehouse"}, 422, "locations_required"),
        ({"name": "w", "role": "warehouse", "locations": ["MARS"]}, 422, "unknown_location"),
        ({"name": "o", "role": "operator", "locations": ["WH1"]}, 422, "locations_not_allowed"),
        ({"name": "test-admin", "role": "admin"}, 409, "token_exists"),
        ({"name": "x", "role": "root"}, 400, "invalid_request"),
        ({"name": "x y", "role": "admin"}, 400, "invalid_request"),
        ({"name": "x", "role": "admin", "secret": "mine"}, 400, "invalid_request"),
    ],
)
async def test_bad_token_requests_change_nothing(client, tokens, catalog, hub, body, status, code):
    before = await count_rows(hub, ApiTokenRow)
    response = await client.post("/tokens", json=body, headers=auth(tokens["admin"]))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert await count_rows(hub, ApiTokenRow) == before


@pytest.mark.parametrize("role", ["operator", "warehouse", "read-only"])
async def test_tokens_are_for_admins_only(client, tokens, hub, role):
    headers = auth(tokens[role])
    responses = [
        await client.post("/tokens", json={"name": "x", "role": "admin"}, headers=headers),
        await client.get("/tokens", headers=headers),
        await client.delete("/tokens/test-admin", headers=headers),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403]
    assert {r.json()["error"]["code"] for r in responses} == {"forbidden"}
    # The admin token still works: nothing was created or revoked.
    assert (await client.get("/tokens", headers=auth(tokens["admin"]))).status_code == 200
    assert await count_rows(hub, ApiTokenRow) == 4


# ---------------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer ohk_not-a-real-token"},
    ],
)
async def test_missing_or_invalid_token_is_401(client, tokens, catalog, hub, headers):
    for method, path, body in [
        ("get", "/orders", None),
        ("post", "/orders", {"lines": [{"sku": "MUG", "quantity": 1}]}),
        ("get", "/items", None),
        ("get", "/stock", None),
        ("get", "/tokens", None),
    ]:
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        response = await getattr(client, method)(path, **kwargs)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"
    assert await count_rows(hub, OrderRow) == 0


async def test_public_paths_need_no_token(client):
    for path in ("/health", "/schema/openapi.json"):
        assert (await client.get(path)).status_code == 200, path


# ------------------------------------------------------------------------- body limit


class TestBodyLimit:
    @pytest.fixture
    def hub_config(self) -> dict[str, Any]:
        return {"api": {"max_body_bytes": 512}}

    async def test_body_over_the_limit_is_413(self, client, tokens, catalog, hub):
        headers = auth(tokens["operator"])
        big = {"lines": [{"sku": "MUG", "quantity": 1}], "notes": "x" * 600}
        response = await client.post("/orders", json=big, headers=headers)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "body_too_large"
        assert await count_rows(hub, OrderRow) == 0
        small = {"lines": [{"sku": "MUG", "quantity": 1}], "notes": "x" * 100}
        assert (await client.post("/orders", json=small, headers=headers)).status_code == 201


# ---------------------------------------------------------------------------- OpenAPI

EXPECTED = {
    ("/orders", "post"): "orders",
    ("/orders", "get"): "orders",
    ("/orders/{order_id}", "get"): "orders",
    ("/orders/{order_id}/history", "get"): "orders",
    ("/orders/{order_id}/cancel", "post"): "orders",
    ("/items/{sku}", "put"): "catalog",
    ("/items", "get"): "catalog",
    ("/items/{sku}", "get"): "catalog",
    ("/locations/{code}", "put"): "locations",
    ("/locations", "get"): "locations",
    ("/locations/{code}", "get"): "locations",
    ("/stock", "get"): "stock",
    ("/stock/{sku}/{location}", "put"): "stock",
    ("/stock/{sku}/{location}/adjustments", "post"): "stock",
    ("/stock/movements", "get"): "stock",
    ("/connections", "get"): "connections",
    ("/connections/{connection_id}", "get"): "connections",
    ("/plugins", "get"): "plugins",
    ("/tokens", "post"): "tokens",
    ("/tokens", "get"): "tokens",
    ("/tokens/{name}", "delete"): "tokens",
}


async def test_openapi_describes_every_endpoint_with_tags_and_bearer_auth(client):
    document = (await client.get("/schema/openapi.json")).json()
    paths = document["paths"]
    for (path, method), tag in EXPECTED.items():
        operation = paths[path][method]
        assert operation["tags"] == [tag], (path, method)
        assert "security" not in operation or operation["security"] != [], (path, method)
        errors = {code: r for code, r in operation["responses"].items() if code.startswith("4")}
        assert "401" in errors, (path, method)
        for response in errors.values():
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, method)
    assert document["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for public in ("/health", "/ready"):
        assert paths[public]["get"]["security"] == [{}]  # anonymous access

    schemas = document["components"]["schemas"]
    assert schemas["ErrorBody"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message"}
    adjust = paths["/stock/{sku}/{location}/adjustments"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "422"} <= set(adjust)
    body = paths["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ManualOrderIn"}
    assert {"lines", "currency", "reference", "customer"} <= set(
        schemas["ManualOrderIn"]["properties"]
    )
    params = {p["name"] for p in paths["/orders"]["get"]["parameters"]}
    assert {
        "status",
        "connection",
        "placed_from",
        "placed_to",
        "customer",
        "q",
        "limit",
        "cursor",
    } <= params
