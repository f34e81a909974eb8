"""The console in Debian's chromium, driven by Playwright, against uvicorn on a seeded
database (SQLite; one test on PostgreSQL). Screenshots of the main pages go to
artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderhub.hub.testing import PG_ADMIN_URL, REDIS_URL, _in_thread, _pg_admin, _pg_url

from .browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Console,
    new_context,
    running_console,
    shot,
    sign_in,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def _flush_redis() -> None:
    from redis import Redis

    client = Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    _flush_redis()
    path = tmp_path_factory.mktemp("console") / "console.db"
    with running_console(f"sqlite+aiosqlite:///{path}", REDIS_URL) as running:
        yield running
    _flush_redis()


ALL_PAGES = ["Dashboard", "Orders", "Stock", "Warehouse", "Routing", "Connections"]


def nav(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = new_context(browser, viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    yield tab
    context.close()


def test_each_role_signs_in_and_lands_on_its_page(browser: Any, console: Console) -> None:
    expected = {
        "admin": ("Dashboard", ALL_PAGES),
        "operator": ("Dashboard", ALL_PAGES),
        "read-only": ("Dashboard", ALL_PAGES),
        "warehouse": ("Warehouse · WH2", ["Orders", "Stock", "Warehouse"]),
    }
    for role, (heading, nav) in expected.items():
        context = new_context(browser, viewport={"width": 1366, "height": 900})
        page = context.new_page()
        sign_in(page, console, role)
        assert page.locator("h1").first.inner_text() == heading
        links = page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts()
        assert links == nav
        assert page.locator(".who .badge").inner_text().startswith(role.replace("-", " ")[:4])
        if role in ("admin", "warehouse"):
            shot(page, f"{'dashboard' if role == 'admin' else 'warehouse'}")
        context.close()


def test_wrong_password_stays_on_the_sign_in_page(page: Any, console: Console) -> None:
    page.goto(f"{console.base_url}/console/")
    assert page.url.endswith("/console/login?next=/console")
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    shot(page, "sign-in")


def test_find_a_late_order_from_the_dashboard(page: Any, console: Console) -> None:
    sign_in(page, console, "operator")
    late = page.locator("section", has=page.locator("#late-h"))
    row = late.locator("tr.late", has_text="LATE-1")
    assert row.evaluate("el => getComputedStyle(el.querySelector('td')).backgroundColor") == (
        "rgb(253, 231, 229)"
    )
    row.get_by_role("link", name="LATE-1").click()
    page.wait_for_load_state()
    assert page.url == console.order_url("LATE-1")
    assert "Late: promised for" in page.locator("#late-reason").inner_text()
    shot(page, "order-late")
    # The count links to the full list of late orders, each row marked.
    page.goto(f"{console.base_url}/console/")
    page.locator("#late-count").click()
    page.wait_for_load_state()
    assert page.locator("tr.late").count() == 2


def test_adjust_stock_and_see_available_change(page: Any, console: Console) -> None:
    sign_in(page, console, "operator")
    nav(page, "Stock").click()
    page.get_by_role("link", name="MUG-BLUE").click()
    available = page.locator('#levels tr[data-location="WH1"] td.available')
    before = int(available.inner_text())
    form = page.locator("#adjust")
    form.get_by_label("Location").select_option("WH1")
    form.get_by_label("Change (+/−)").fill("7")
    form.get_by_label("Reason").fill("received from supplier")
    form.get_by_role("button", name="Adjust").click()
    page.wait_for_load_state()
    assert "MUG-BLUE at WH1: +7." in page.locator("#flash").inner_text()
    assert int(available.inner_text()) == before + 7
    assert "received from supplier" in page.locator("table.ledger").inner_text()
    shot(page, "stock-item")
    nav(page, "Stock").click()
    page.wait_for_load_state()
    shot(page, "stock")


def test_replay_a_dead_outbox_item(page: Any, console: Console) -> None:
    sign_in(page, console, "admin")
    nav(page, "Connections").click()
    row = page.locator(f'tr[data-outbox="{console.world.dead_outbox_id}"]')
    assert "unknown inventory item" in row.inner_text()
    shot(page, "connections")
    row.get_by_role("button", name="Replay").click()
    page.wait_for_load_state()
    assert (
        f"Outbox item {console.world.dead_outbox_id} queued" in page.locator("#flash").inner_text()
    )
    assert page.locator(f'tr[data-outbox="{console.world.dead_outbox_id}"]').count() == 0


def test_warehouse_user_cannot_see_another_locations_work(page: Any, console: Console) -> None:
    sign_in(page, console, "warehouse")
    work = page.locator("main").inner_text()
    assert "PICK-2" in work and "STORE-1" in work
    assert "PICK-1" not in work and "ALLOC-1" not in work
    nav(page, "Orders").click()
    numbers = page.locator("#results tbody a[href^='/console/orders/']").all_inner_texts()
    assert set(numbers) == {"STORE-1", "PICK-2"}
    page.goto(console.order_url("PICK-1"))
    assert page.locator("h1").inner_text() == "Not found"
    page.goto(f"{console.base_url}/console/warehouse?location=WH1")
    assert page.locator("h1").inner_text() == "Not allowed"
    page.goto(f"{console.base_url}/console/connections")
    assert page.locator("h1").inner_text() == "Not allowed"


def test_a_form_without_its_csrf_token_is_refused(page: Any, console: Console) -> None:
    sign_in(page, console, "operator")
    page.goto(f"{console.base_url}/console/stock/TEE-M")
    before = page.locator('#levels tr[data-location="WH1"] td.available').inner_text()
    page.locator('#adjust input[name="_csrf"]').evaluate("el => el.remove()")
    form = page.locator("#adjust")
    form.get_by_label("Change (+/−)").fill("1")
    form.get_by_label("Reason").fill("forged")
    form.get_by_role("button", name="Adjust").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Not allowed"
    assert "security token" in page.get_by_role("alert").inner_text()
    page.goto(f"{console.base_url}/console/stock/TEE-M")
    assert page.locator('#levels tr[data-location="WH1"] td.available').inner_text() == before


def test_orders_list_by_keyboard_and_on_a_tablet(browser: Any, console: Console) -> None:
    context = new_context(browser, viewport={"width": 820, "height": 1180}, has_touch=True)
    page = context.new_page()
    sign_in(page, console, "operator")
    page.goto(f"{console.base_url}/console/orders")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("6A12345678901")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q=6A12345678901.*"))
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 1")
    assert page.locator("#results tbody tr").inner_text().count("SHIP-OLD") == 1
    page.goto(f"{console.base_url}/console/orders")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820, f"the page scrolls sideways on a tablet ({width}px)"
    shot(page, "orders-tablet")
    context.close()


def test_orders_list_filters_update_in_place(page: Any, console: Console) -> None:
    sign_in(page, console, "operator")
    page.goto(f"{console.base_url}/console/orders")
    shot(page, "orders")
    page.get_by_label("Status").select_option("on_hold")
    page.wait_for_url(re.compile(r".*status=on_hold.*"))
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 1")
    assert "HOLD-1" in page.locator("#results tbody").inner_text()


def test_clear_a_hold(page: Any, console: Console) -> None:
    sign_in(page, console, "operator")
    page.goto(f"{console.base_url}/console/orders?status=on_hold")
    page.get_by_role("link", name="HOLD-1").click()
    page.wait_for_load_state()
    holds = page.locator("#holds")
    assert "waiting for the bank transfer" in holds.inner_text()
    holds.get_by_label("Release note for the payment hold").fill("bank transfer received")
    holds.get_by_role("button", name="Release hold").click()
    page.wait_for_load_state()
    assert "Hold released. Order HOLD-1 is now allocated." in page.locator("#flash").inner_text()
    assert page.locator("h1 .badge").first.inner_text() == "allocated"
    assert "released" in page.locator("#holds").inner_text()
    assert "bank transfer received" in page.locator("#history").inner_text()
    assert page.locator("#allocations").count() == 1
    shot(page, "order-hold-released")


def test_reroute_an_order_and_read_the_trace(page: Any, console: Console) -> None:
    sign_in(page, console, "operator")
    page.goto(console.order_url("ALLOC-1"))
    assert "seeded" in page.locator("#trace").inner_text()
    page.get_by_text("Re-route", exact=True).click()
    form = page.locator("#reroute")
    form.get_by_label("Location", exact=True).select_option("WH2")
    form.get_by_label("Reason", exact=True).fill("closer to the customer")
    form.get_by_role("button", name="Re-route now").click()
    page.wait_for_load_state()
    assert "ALLOC-1 re-routed" in page.locator("#flash").inner_text()
    trace = page.locator("#trace").inner_text()
    assert "seeded" not in trace and "WH2" in trace
    allocations = page.locator("#allocations").inner_text()
    assert "WH2" in allocations and "released" in allocations
    assert "closer to the customer" in page.locator("#history").inner_text()
    shot(page, "order-rerouted")


def test_routing_simulator(page: Any, console: Console) -> None:
    sign_in(page, console, "operator")
    nav(page, "Routing").click()
    page.wait_for_load_state()
    page.get_by_label("Pick an order (number or id)").fill("PICK-1")
    page.get_by_role("button", name="Simulate").click()
    result = page.locator("#simulation-result")
    result.wait_for()
    assert "WH1" in result.inner_text()
    assert result.locator("ol.trace li").count() >= 1
    assert page.url.endswith("/console/routing")  # htmx swapped the result in place
    shot(page, "routing")


def test_confirm_a_pick_with_a_shortage_then_pack(page: Any, console: Console) -> None:
    sign_in(page, console, "warehouse")
    pick = page.locator('form.pick[data-order="PICK-2"]')
    assert pick.get_by_label("Found of TEE-M for PICK-2").input_value() == "2"
    shot(page, "warehouse-pick")
    pick.get_by_label("Found of TEE-M for PICK-2").fill("1")
    pick.get_by_role("button", name="Confirm picks").click()
    page.wait_for_load_state()
    assert "1 unit(s) short were re-routed" in page.locator("#flash").inner_text()
    assert page.locator('form.pick[data-order="PICK-2"]').count() == 0
    packing = page.locator('form.pack[data-order="PICK-2"]')
    assert "1 short" in packing.inner_text()
    packing.get_by_label("Weight (g)").fill("450")
    packing.get_by_role("button", name="Pack").click()
    page.wait_for_load_state()
    assert "Packed" in page.locator("#flash").inner_text()
    packed = page.locator("section[aria-labelledby=pack-h]").inner_text()
    assert "Packed, awaiting label" in packed and "PICK-2" in packed
    page.goto(console.order_url("PICK-2"))
    history = page.locator("#history").inner_text()
    assert "picks confirmed" in history and "short pick at WH2: re-routed" in history
    # The missing unit went to WH1, which this user does not see.
    assert "WH1" not in page.locator("#allocations").inner_text()
    assert "WH1" not in page.locator("#fulfillments").inner_text()
    assert page.locator("#trace").count() == 0
    shot(page, "order-short-pick")


@pytest.fixture
def pg_console() -> Iterator[Console]:
    name = f"orderhub_console_browser_{uuid4_hex()}"
    _in_thread(_pg_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
    _flush_redis()
    try:
        with running_console(_pg_url(name), REDIS_URL) as running:
            yield running
    finally:
        _in_thread(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        _flush_redis()


def uuid4_hex() -> str:
    import uuid

    return uuid.uuid4().hex[:8]


def test_on_postgresql_sign_in_cancel_and_adjust(page: Any, pg_console: Console) -> None:
    assert PG_ADMIN_URL.startswith("postgresql")
    sign_in(page, pg_console, "operator")
    page.goto(pg_console.order_url("ALLOC-2"))
    page.get_by_text("Cancel order", exact=True).first.click()
    page.get_by_label("Reason").last.fill("customer asked")
    page.get_by_role("button", name="Cancel order").click()
    page.wait_for_load_state()
    assert "Order ALLOC-2 cancelled." in page.locator("#flash").inner_text()
    assert page.locator("h1 .badge").first.inner_text() == "cancelled"
    assert "customer asked" in page.locator("#history").inner_text()
    page.goto(f"{pg_console.base_url}/console/stock/MUG-RED")
    available = page.locator('#levels tr[data-location="WH1"] td.available')
    assert available.inner_text() == "4"  # ALLOC-2's unit came back
    form = page.locator("#adjust")
    form.get_by_label("Change (+/−)").fill("-3")
    form.get_by_label("Reason").fill("broken in transit")
    form.get_by_role("button", name="Adjust").click()
    page.wait_for_load_state()
    assert available.inner_text() == "1"
