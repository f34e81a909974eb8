from orderhub.hub.testing import auth


async def test_health_is_public(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_database_and_redis(client):
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


async def test_unknown_route_needs_token_first(client, tokens):
    response = await client.get("/nope", headers=auth(tokens["admin"]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
