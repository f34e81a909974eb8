"""The console over HTTP (in process, SQLite and PostgreSQL): sign-in, sessions, CSRF, roles,
warehouse scope, the order list's filters and the dashboard's late orders."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from orderhub.hub.console import throttle
from orderhub.hub.store.tables import ConsoleSessionRow, OrderRow, StockLevelRow

from .conftest import csrf_of, sign_in


async def _status(hub: Any, order_id: str) -> str:
    async with hub.read() as session:
        return await session.scalar(sa.select(OrderRow.status).where(OrderRow.id == order_id))


async def test_signed_out_pages_send_to_sign_in(client: Any, world: Any) -> None:
    answer = await client.get("/console/orders?status=on_hold")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?next=/console/orders%3Fstatus%3Don_hold"
    assert (await client.get("/console/static/console.css")).status_code == 200


async def test_sign_in_sets_a_safe_session_cookie_and_sign_out_ends_it(
    client: Any, world: Any, hub: Any
) -> None:
    form = await client.get("/console/login")
    answer = await client.post(
        "/console/login",
        data={
            "username": "Operator",
            "password": "operator-password-1",
            "_csrf": csrf_of(form.text),
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/"
    cookie = next(
        v
        for k, v in answer.headers.multi_items()
        if k == "set-cookie" and v.startswith("orderhub_console=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http in this test; https gets Secure
    page = await client.get("/console/")
    assert page.status_code == 200 and "Dashboard" in page.text
    async with hub.read() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ConsoleSessionRow)) == 1
    out = await client.post("/console/logout", data={"_csrf": csrf_of(page.text)})
    assert out.status_code == 303
    async with hub.read() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(ConsoleSessionRow)) == 0
    assert (await client.get("/console/")).status_code == 303


async def test_wrong_password_is_refused_and_attempts_are_rate_limited(
    client: Any, world: Any
) -> None:
    form = await client.get("/console/login")
    token = csrf_of(form.text)
    for _ in range(throttle.MAX_FAILURES):
        answer = await client.post(
            "/console/login", data={"username": "admin", "password": "guess-123456", "_csrf": token}
        )
        assert answer.status_code == 401
        assert "Wrong username or password" in answer.text
        token = csrf_of(answer.text)
    # Even the right password is refused now, from this address, for this username.
    answer = await client.post(
        "/console/login", data={"username": "admin", "password": "admin-password-1", "_csrf": token}
    )
    assert answer.status_code == 429
    assert "Too many failed attempts" in answer.text
    assert "orderhub_console=" not in answer.headers.get("set-cookie", "")
    # Another username from the same address is not affected.
    assert await sign_in(client, "operator")


async def test_sign_in_form_without_its_token_is_refused(client: Any, world: Any) -> None:
    await client.get("/console/login")
    answer = await client.post(
        "/console/login", data={"username": "admin", "password": "admin-password-1"}
    )
    assert answer.status_code == 403
    assert "orderhub_console=" not in answer.headers.get("set-cookie", "")


async def test_a_form_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    client: Any, world: Any, hub: Any
) -> None:
    token = await sign_in(client, "operator")
    order_id = world.orders["ALLOC-2"]
    for data in ({"reason": "no token"}, {"reason": "bad token", "_csrf": token[:-2] + "xx"}):
        answer = await client.post(f"/console/orders/{order_id}/cancel", data=data)
        assert answer.status_code == 403
        assert "security token" in answer.text
    assert await _status(hub, order_id) == "allocated"
    answer = await client.post(
        f"/console/orders/{order_id}/cancel", data={"reason": "customer called", "_csrf": token}
    )
    assert answer.status_code == 303
    assert await _status(hub, order_id) == "cancelled"
    page = await client.get(f"/console/orders/{order_id}")
    assert "Order ALLOC-2 cancelled." in page.text
    assert "customer called" in page.text and "operator" in page.text


async def test_read_only_sees_but_cannot_change(client: Any, world: Any, hub: Any) -> None:
    token = await sign_in(client, "read-only")
    order_id = world.orders["ALLOC-1"]
    page = await client.get(f"/console/orders/{order_id}")
    assert page.status_code == 200
    assert "Cancel order" not in page.text
    answer = await client.post(
        f"/console/orders/{order_id}/cancel", data={"reason": "try", "_csrf": token}
    )
    assert answer.status_code == 403
    assert await _status(hub, order_id) == "allocated"
    answer = await client.post(
        "/console/stock/TEE-M/adjust",
        data={"location": "WH1", "delta": "5", "reason": "try", "_csrf": token},
    )
    assert answer.status_code == 403


async def _on_hand(hub: Any, sku: str, location: str) -> int:
    from orderhub.hub.stock.service import levels

    async with hub.read() as session:
        found = await levels(session, skus=[sku], location=location)
    return found[0].on_hand


async def test_warehouse_user_sees_and_acts_only_on_its_locations(
    client: Any, world: Any, hub: Any
) -> None:
    token = await sign_in(client, "warehouse")
    home = await client.get("/console/")
    assert home.status_code == 303 and home.headers["location"] == "/console/warehouse"
    work = await client.get("/console/warehouse")
    assert "PICK-2" in work.text and "STORE-1" in work.text
    assert "PICK-1" not in work.text and "ALLOC-1" not in work.text
    assert (await client.get("/console/warehouse?location=WH1")).status_code == 403
    listing = await client.get("/console/orders")
    assert "PICK-2" in listing.text and "STORE-1" in listing.text
    for other in ("PICK-1", "ALLOC-1", "LATE-1", "HOLD-1"):
        assert other not in listing.text
    assert (await client.get("/console/orders?location=WH1")).status_code == 404
    assert (await client.get(f"/console/orders/{world.orders['PICK-1']}")).status_code == 404
    assert (await client.get(f"/console/orders/{world.orders['PICK-2']}")).status_code == 200
    for page in ("/console/connections",):
        assert (await client.get(page)).status_code == 403
    item = await client.get("/console/stock/TEE-M")
    assert 'data-location="WH2"' in item.text and 'data-location="WH1"' not in item.text
    refused = await client.post(
        "/console/stock/TEE-M/adjust",
        data={"location": "WH1", "delta": "-1", "reason": "not mine", "_csrf": token},
    )
    assert refused.status_code == 403
    assert await _on_hand(hub, "TEE-M", "WH1") == 25
    done = await client.post(
        "/console/stock/TEE-M/adjust",
        data={"location": "WH2", "delta": "3", "reason": "found in the back", "_csrf": token},
    )
    assert done.status_code == 303
    assert await _on_hand(hub, "TEE-M", "WH2") == 9
    ledger = await client.get("/console/stock/movements")
    assert "found in the back" in ledger.text and "WH1" not in ledger.text.split("<tbody>")[1]


async def test_order_list_filters_late_location_search_and_tracking(
    client: Any, world: Any
) -> None:
    await sign_in(client, "operator")

    def numbers(html: str) -> set[str]:
        return {n for n in world.orders if f">{n}</a>" in html}

    late = await client.get("/console/orders?late=1")
    assert numbers(late.text) == {"LATE-1", "SHIP-OLD"}
    assert late.text.count('class="late"') == 2
    assert numbers((await client.get("/console/orders?location=WH2")).text) == {"STORE-1", "PICK-2"}
    assert numbers((await client.get("/console/orders?status=on_hold")).text) == {"HOLD-1"}
    assert numbers((await client.get("/console/orders?q=6A12345678901")).text) == {"SHIP-OLD"}
    assert numbers((await client.get("/console/orders?q=pick-1@example.com")).text) == {"PICK-1"}
    assert numbers((await client.get("/console/orders?q=ALLOC-1")).text) == {"ALLOC-1"}
    # htmx asks for the results only.
    partial = await client.get(
        "/console/orders?late=1", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in partial.text and numbers(partial.text) == {"LATE-1", "SHIP-OLD"}
    bad = await client.get("/console/orders?placed_from=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text


async def test_dashboard_shows_late_orders_holds_stock_outs_and_dead_letters(
    client: Any, world: Any
) -> None:
    await sign_in(client, "admin")
    page = (await client.get("/console/")).text
    late_panel = page.split('id="late-h"')[1].split("</section>")[0]
    assert f'href="/console/orders/{world.orders["LATE-1"]}"' in late_panel
    assert "promised for" in late_panel and "not delivered 20 days after" in late_panel
    assert "waiting for the bank transfer" in page
    assert 'href="/console/stock/CAP-OUT"' in page
    dead = page.split("Dead letters</span><b>")[1].split("</b>")[0]
    assert dead == "1"


async def test_bulk_cancel_reports_each_order(client: Any, world: Any, hub: Any) -> None:
    token = await sign_in(client, "operator")
    ids = [world.orders["ALLOC-1"], world.orders["SHIP-OLD"]]
    answer = await client.post(
        "/console/orders/bulk",
        data={"action": "cancel", "reason": "bulk test", "order": ids, "_csrf": token},
    )
    assert answer.status_code == 303
    assert await _status(hub, ids[0]) == "cancelled"
    assert await _status(hub, ids[1]) == "shipped"
    page = await client.get(answer.headers["location"])
    assert "1 order(s) done, 1 refused" in page.text


async def test_stock_transfer_moves_units_and_refuses_more_than_on_hand(
    client: Any, world: Any, hub: Any
) -> None:
    token = await sign_in(client, "operator")
    answer = await client.post(
        "/console/stock/TEE-M/transfer",
        data={"from": "WH1", "to": "WH2", "quantity": "4", "reason": "rebalance", "_csrf": token},
    )
    assert answer.status_code == 303
    assert await _on_hand(hub, "TEE-M", "WH1") == 21
    assert await _on_hand(hub, "TEE-M", "WH2") == 10
    refused = await client.post(
        "/console/stock/TEE-M/transfer",
        data={"from": "WH2", "to": "WH1", "quantity": "99", "_csrf": token},
    )
    assert refused.status_code == 409 and "it cannot send 99" in refused.text
    assert await _on_hand(hub, "TEE-M", "WH2") == 10
    async with hub.read() as session:
        assert (
            await session.scalar(sa.select(sa.func.sum(StockLevelRow.on_hand)))
            == 40 + 4 + 25 + 6 - 1 + 0
        )


async def test_clearing_a_hold_allocates_the_order(client: Any, world: Any, hub: Any) -> None:
    token = await sign_in(client, "operator")
    order_id = world.orders["HOLD-1"]
    page = await client.get(f"/console/orders/{order_id}")
    hold_id = page.text.split(f"/console/orders/{order_id}/holds/")[1].split("/release")[0]
    refused = await client.post(
        f"/console/orders/{order_id}/holds/{hold_id}/release", data={"_csrf": token}
    )
    assert refused.status_code == 422 and "A note" in refused.text
    assert await _status(hub, order_id) == "on_hold"
    answer = await client.post(
        f"/console/orders/{order_id}/holds/{hold_id}/release",
        data={"note": "transfer arrived", "_csrf": token},
    )
    assert answer.status_code == 303
    assert await _status(hub, order_id) == "allocated"
    page = await client.get(f"/console/orders/{order_id}")
    assert "Hold released. Order HOLD-1 is now allocated." in page.text
    assert "transfer arrived" in page.text and "hold released" in page.text
    again = await client.post(
        f"/console/orders/{order_id}/holds/{hold_id}/release",
        data={"note": "twice", "_csrf": token},
    )
    assert again.status_code == 409


async def test_reroute_to_a_location_and_read_the_trace(client: Any, world: Any, hub: Any) -> None:
    token = await sign_in(client, "operator")
    order_id = world.orders["STORE-1"]
    answer = await client.post(
        f"/console/orders/{order_id}/reroute",
        data={"location": "WH1", "reason": "store is closing early", "_csrf": token},
    )
    assert answer.status_code == 303
    page = await client.get(f"/console/orders/{order_id}")
    assert "re-routed: now allocated" in page.text
    allocations = page.text.split('id="allocations"')[1].split("</table>")[0]
    assert "released" in allocations and "WH1" in allocations
    trace = page.text.split('id="trace"')[1].split("</ol>")[0]
    assert "WH1" in trace and "seeded" not in trace
    assert "store is closing early" in page.text


async def test_edit_the_shipping_address(client: Any, world: Any, hub: Any) -> None:
    token = await sign_in(client, "operator")
    order_id = world.orders["ALLOC-1"]
    page = await client.get(f"/console/orders/{order_id}")
    version = page.text.split('name="version" value="')[1].split('"')[0]
    fields = {
        "name": "Customer ALLOC-1",
        "line1": "8 quai Saint-Antoine",
        "postal_code": "69002",
        "city": "Lyon",
        "country": "fr",
        "reason": "customer moved",
        "version": version,
        "_csrf": token,
    }
    bad = await client.post(
        f"/console/orders/{order_id}/address", data={**fields, "country": "France"}
    )
    assert bad.status_code == 422
    answer = await client.post(f"/console/orders/{order_id}/address", data=fields)
    assert answer.status_code == 303
    page = await client.get(f"/console/orders/{order_id}")
    assert "8 quai Saint-Antoine" in page.text.split('id="ship-to"')[1].split("</dd>")[0]
    stale = await client.post(f"/console/orders/{order_id}/address", data=fields)
    assert stale.status_code == 409


async def test_routing_page_and_simulator_change_nothing(client: Any, world: Any, hub: Any) -> None:
    token = await sign_in(client, "read-only")
    page = await client.get("/console/routing")
    assert page.status_code == 200 and 'id="rules"' in page.text
    answer = await client.post(
        "/console/routing/simulate",
        data={"order": "ALLOC-1", "_csrf": token},
        headers={"HX-Request": "true", "HX-Target": "simulation"},
    )
    assert answer.status_code == 200 and "<html" not in answer.text
    assert "WH1" in answer.text and "Why" in answer.text
    pasted = await client.post(
        "/console/routing/simulate",
        data={"body": '{"lines": [{"sku": "TEE-M", "quantity": 30}]}', "_csrf": token},
    )
    assert pasted.status_code == 200 and "simulation-result" in pasted.text
    both = await client.post(
        "/console/routing/simulate", data={"order": "ALLOC-1", "body": "{}", "_csrf": token}
    )
    assert both.status_code == 422
    assert await _status(hub, world.orders["ALLOC-1"]) == "allocated"
    assert await _on_hand(hub, "TEE-M", "WH1") == 25


async def test_item_page_shows_what_each_channel_may_sell(client: Any, world: Any) -> None:
    await sign_in(client, "operator")
    page = await client.get("/console/stock/TEE-M")
    row = page.text.split('data-channel="manual"')[1].split("</tr>")[0]
    # WH1: 25 on hand - 3 reserved; WH2: 6 on hand - 3 reserved; both feed every channel.
    assert '<td class="num">25</td>' in row
    # No level at WH2 for MUG-BLUE: the policy publishes nothing rather than half a picture.
    page = await client.get("/console/stock/MUG-BLUE")
    row = page.text.split('data-channel="manual"')[1].split("</tr>")[0]
    assert "stock unknown at WH2" in row


async def test_bulk_clear_holds(client: Any, world: Any, hub: Any) -> None:
    token = await sign_in(client, "operator")
    ids = [world.orders["HOLD-1"], world.orders["ALLOC-1"]]
    answer = await client.post(
        "/console/orders/bulk",
        data={
            "action": "release_holds",
            "reason": "checked by phone",
            "order": ids,
            "_csrf": token,
        },
    )
    assert answer.status_code == 303
    assert await _status(hub, ids[0]) == "allocated"
    page = await client.get(answer.headers["location"])
    assert "Release holds: 1 order(s) done, 1 refused" in page.text
    assert "has no hold to release" in page.text
