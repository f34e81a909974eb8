"""Rate limits (the cost bucket, THROTTLED, 429) and how HTTP and GraphQL failures are classified."""

from __future__ import annotations

import httpx
import pytest

from orderhub.connectors.shopify import ShopifyConnector, ThrottleStatus
from orderhub.core.connectors import PermanentError, StockUpdate, TransientError

STOCK = StockUpdate(
    sku="IPOD2008PINK",
    quantity=7,
    location_ref="24826418",
    item_ref="271878346596884015",
    previous_quantity=10,
    idempotency_key="stock:1",
)


async def test_throttled_is_transient_with_the_time_to_refill(connector, shopify) -> None:
    shopify.on("SetAvailable", "graphql_throttled.json")
    with pytest.raises(TransientError, match="Throttled") as caught:
        await connector.push_stock([STOCK])
    # 626 points asked, 126 available, 100 points per second: 5 seconds.
    assert caught.value.retry_after == 5.0
    assert connector.throttle_status == ThrottleStatus(
        maximum_available=2000.0, currently_available=126.0, restore_rate=100.0, observed_at=100.0
    )


async def test_http_429_is_transient_with_retry_after(connector, shopify) -> None:
    shopify.on("SetAvailable", httpx.Response(429, headers={"Retry-After": "2.0"}, text=""))
    with pytest.raises(TransientError, match="429") as caught:
        await connector.push_stock([STOCK])
    assert caught.value.retry_after == 2.0


async def test_throttle_status_is_exposed_after_every_call(connector, shopify) -> None:
    assert connector.throttle_status is None
    shopify.on("Shop", "graphql_shop.json")
    report = await connector.health()
    assert report.ok and report.detail == "OrderHub Test (orderhub-test.myshopify.com)"
    assert connector.throttle_status.currently_available == 1999.0
    assert connector.throttle_status.restore_rate == 100.0


async def test_a_call_waits_for_the_bucket_when_it_knows_the_cost(kit, shopify) -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    connector = ShopifyConnector(kit.shop_connection(), sleep=sleep, clock=lambda: now[0])
    shopify.on("OrdersPage", "graphql_orders_page_2.json")
    low = kit.payload_json("graphql_orders_page_2.json")
    low["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] = 100
    shopify.on("OrdersPage", low, "graphql_orders_page_2.json")
    await connector.pull_orders(None)  # learns the page costs 626 points
    assert slept == []
    await connector.pull_orders(None)  # leaves 100 points in the bucket
    assert slept == []
    now[0] += 1.0  # one second later 200 points are available, 426 missing
    await connector.pull_orders(None)
    await connector.aclose()
    assert slept == [pytest.approx(4.26)]
    assert len(shopify.variables("OrdersPage")) == 3


async def test_a_wait_longer_than_allowed_is_left_to_the_queue(kit, shopify) -> None:
    connector = ShopifyConnector(
        kit.shop_connection(max_throttle_wait_seconds=2), clock=lambda: 0.0
    )
    low = kit.payload_json("graphql_orders_page_2.json")
    low["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] = 26
    shopify.on("OrdersPage", low)
    await connector.pull_orders(None)
    with pytest.raises(TransientError, match="refill") as caught:
        await connector.pull_orders(None)
    await connector.aclose()
    assert caught.value.retry_after == 6.0
    assert len(shopify.calls) == 1  # the second call never left


async def test_another_workers_report_is_shared(connector, shopify) -> None:
    connector.observe_throttle(
        ThrottleStatus(
            maximum_available=2000.0,
            currently_available=1500.0,
            restore_rate=100.0,
            observed_at=100.0,
        )
    )
    connector.observe_throttle(
        ThrottleStatus(
            maximum_available=2000.0,
            currently_available=300.0,
            restore_rate=100.0,
            observed_at=99.0,
        )
    )
    # At t=100 the second report leaves 400 points, fewer than the first: it wins.
    assert connector.throttle_status.currently_available == 300.0


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_transient(connector, shopify, status: int) -> None:
    shopify.on("SetAvailable", httpx.Response(status, text="<html>Oops</html>"))
    with pytest.raises(TransientError, match=str(status)):
        await connector.push_stock([STOCK])


async def test_timeouts_are_transient(connector, router) -> None:
    router.post(connector.settings.graphql_url).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TransientError, match="in time"):
        await connector.push_stock([STOCK])


async def test_connection_failures_are_transient(connector, router) -> None:
    router.post(connector.settings.graphql_url).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(TransientError, match="cannot reach"):
        await connector.push_stock([STOCK])


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            401,
            '{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}',
        ),
        (
            403,
            '{"errors":"[API] This action requires merchant approval for write_inventory scope."}',
        ),
        (404, '{"errors":"Not Found"}'),
    ],
)
async def test_auth_and_not_found_are_permanent_with_the_body(
    connector, shopify, status: int, body: str
) -> None:
    shopify.on("SetAvailable", httpx.Response(status, text=body))
    with pytest.raises(PermanentError) as caught:
        await connector.push_stock([STOCK])
    assert caught.value.code == f"http_{status}"
    assert caught.value.body == body


async def test_graphql_errors_are_permanent_with_their_messages(connector, shopify) -> None:
    shopify.on("OrdersPage", "graphql_access_denied.json")
    with pytest.raises(PermanentError, match="Access denied for orders field") as caught:
        await connector.pull_orders(None)
    assert caught.value.code == "ACCESS_DENIED"


async def test_health_reports_a_failure_without_raising(connector, shopify) -> None:
    shopify.on(
        "Shop", httpx.Response(401, text='{"errors":"[API] Invalid API key or access token"}')
    )
    report = await connector.health()
    assert report.ok is False and "401" in report.detail


def test_settings_keep_secrets_out_of_repr(kit) -> None:
    text = repr(kit.shop_connection().settings)
    assert kit.TOKEN not in text and kit.SECRET not in text
    assert "orderhub-test.myshopify.com" in text
