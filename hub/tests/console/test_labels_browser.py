"""Buying and printing labels in Debian's chromium, driven by Playwright, against uvicorn on
a seeded SQLite database with an offline carrier (`seed.CARRIER`: no network). Screenshots
go to artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderhub.hub.testing import REDIS_URL

from .browser import CHROMIUM, CHROMIUM_ARGS, Console, new_context, running_console, shot, sign_in
from .seed import CARRIER, seed_parcels

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

TRACKING = re.compile(r"TP\d{10}")
COUNT_PRINTS = "window.__prints = 0; window.print = function () { window.__prints += 1; };"
"""Stands in for the print dialog (which headless chromium has not) and counts the calls."""


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
    path = tmp_path_factory.mktemp("labels") / "console.db"
    with running_console(
        f"sqlite+aiosqlite:///{path}", REDIS_URL, connections=CARRIER, more=seed_parcels
    ) as running:
        yield running
    _flush_redis()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = new_context(browser, viewport={"width": 1366, "height": 900})
    context.add_init_script(COUNT_PRINTS)
    tab = context.new_page()
    yield tab
    context.close()


def test_operator_buys_a_label_and_sees_the_tracking_number(page: Any, console: Console) -> None:
    sign_in(page, console, "operator")
    page.goto(console.order_url("PACK-1"))
    assert page.locator("h1 .badge").first.inner_text() == "released"
    group = page.locator("#fulfillments tbody tr", has_text="WH1")
    assert "packed" in group.inner_text()
    group.get_by_role("button", name="Buy label").click()
    page.wait_for_load_state()

    flash = page.locator("#flash").inner_text()
    assert flash.startswith("Label bought for order PACK-1: Test Post colis TP")
    tracking = TRACKING.search(flash)
    assert tracking is not None
    parcel = page.locator("#shipments tbody tr").first
    cells = parcel.inner_text()
    assert tracking.group(0) in cells and "Test Post · colis" in cells and "€4.90" in cells
    assert page.locator("h1 .badge").first.inner_text() == "shipped"
    assert page.locator("#fulfillments").get_by_role("button", name="Buy label").count() == 0
    assert "label purchased" in page.locator("#history").inner_text()
    shot(page, "order-label-bought")

    link = parcel.get_by_role("link", name="Label (PDF)")
    document = page.request.get(console.base_url + link.get_attribute("href"))
    assert document.status == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"].startswith("inline;")
    body = document.body()
    assert body.startswith(b"%PDF-") and tracking.group(0).encode() in body


def test_warehouse_user_buys_a_label_and_prints_the_locations_labels(
    page: Any, console: Console
) -> None:
    sign_in(page, console, "warehouse")
    assert page.locator("h1").first.inner_text() == "Warehouse · WH2"
    assert page.locator("#waiting-count").inner_text() == "0"
    packed = page.locator('#packed li[data-order="PACK-2"]')
    packed.get_by_role("button", name="Buy label for PACK-2").click()
    page.wait_for_load_state()
    assert page.url.endswith("/console/warehouse?location=WH2")
    flash = page.locator("#flash").inner_text()
    assert flash.startswith("Label bought for order PACK-2: Test Post colis TP")
    tracking = TRACKING.search(flash)
    assert tracking is not None
    assert page.locator('#packed li[data-order="PACK-2"]').count() == 0
    assert page.locator("#waiting-count").inner_text() == "1"
    row = page.locator("#waiting-labels tbody tr")
    assert row.count() == 1
    assert "PACK-2" in row.inner_text() and tracking.group(0) in row.inner_text()
    assert "PACK-1" not in page.locator("main").inner_text()  # WH1's, not this user's
    shot(page, "warehouse-labels")

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Print all (1)").click()
    printed = opened.value
    printed.wait_for_load_state("load")
    assert printed.url.endswith("/console/warehouse/labels?location=WH2")
    printed.wait_for_function("window.__prints === 1")
    labels = printed.locator("section.label")
    assert labels.count() == 1
    assert tracking.group(0) in labels.first.inner_text()
    source = labels.first.locator("iframe").get_attribute("src")
    assert source.endswith("#toolbar=0&view=Fit")
    document = printed.request.get(console.base_url + source.split("#")[0])
    assert document.status == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.body().startswith(b"%PDF-") and tracking.group(0).encode() in document.body()
    shot(printed, "labels-print")
    printed.get_by_role("button", name="Print again").click()
    printed.wait_for_function("window.__prints === 2")
