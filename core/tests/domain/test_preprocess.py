from datetime import timedelta

import pytest

from orderhub.core.extensions import CheckContext, HoldRequest
from orderhub.core.model import (
    Customer,
    FinancialStatus,
    HoldReason,
    Money,
    OrderStatus,
    Payment,
    ShippingLine,
)
from orderhub.core.preprocess import (
    AddressCheck,
    AddressConfig,
    AvailabilityCheck,
    AvailabilityConfig,
    DuplicateCheck,
    FraudCheck,
    FraudConfig,
    PaymentCheck,
    PaymentConfig,
    run_checks,
    run_checks_async,
)


def ctx(order, **fields):
    return CheckContext(order=order, **fields)


# availability ---------------------------------------------------------------------------------


def test_availability_passes_when_every_sku_is_covered(make_order, make_line):
    order = make_order(make_line("SKU-A", 2), make_line("SKU-B", 1))
    assert AvailabilityCheck().check(ctx(order, available={"SKU-A": 2, "SKU-B": 5})) is None


def test_availability_holds_and_sums_lines_of_one_sku(make_order, make_line):
    order = make_order(make_line("SKU-A", 2, id="l1"), make_line("SKU-A", 2, id="l2"))
    hold = AvailabilityCheck().check(ctx(order, available={"SKU-A": 3}))
    assert hold == HoldRequest(
        reason=HoldReason.AVAILABILITY, detail="not enough in stock: SKU-A needs 4, 3 available"
    )


def test_availability_counts_incoming_when_configured(make_order, make_line):
    order = make_order(make_line("SKU-A", 3), make_line("SKU-B", 1))
    context = ctx(order, available={"SKU-A": 1}, incoming={"SKU-A": 2})
    check = AvailabilityCheck(AvailabilityConfig(count_incoming=True))
    hold = check.check(context)
    assert hold is not None
    assert hold.detail == "not enough in stock or incoming: SKU-B needs 1, none available"
    assert AvailabilityCheck().check(context).detail == (
        "not enough in stock: SKU-A needs 3, 1 available; SKU-B needs 1, none available"
    )


def test_availability_ignores_units_already_allocated(make_order, make_line):
    order = make_order(make_line("SKU-A", 3, quantity_allocated=2))
    assert AvailabilityCheck().check(ctx(order, available={"SKU-A": 1})) is None


# payment ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("require", "status", "held"),
    [
        ("none", FinancialStatus.PENDING, False),
        ("authorized", FinancialStatus.AUTHORIZED, False),
        ("authorized", FinancialStatus.PAID, False),
        ("authorized", FinancialStatus.PENDING, True),
        ("authorized", FinancialStatus.VOIDED, True),
        ("paid", FinancialStatus.AUTHORIZED, True),
        ("paid", FinancialStatus.PAID, False),
        ("paid", FinancialStatus.PARTIALLY_REFUNDED, False),
        ("paid", FinancialStatus.UNKNOWN, True),
    ],
)
def test_payment_policy(make_order, require, status, held):
    order = make_order(financial_status=status)
    hold = PaymentCheck(PaymentConfig(require=require)).check(ctx(order))
    assert (hold is not None) is held
    if held:
        assert hold.reason is HoldReason.PAYMENT
        assert hold.detail.endswith(f"this channel needs it {require} before fulfillment")


def test_payment_detail_and_channel_override(make_order):
    order = make_order(financial_status=FinancialStatus.AUTHORIZED)
    check = PaymentCheck()  # authorized by default
    assert check.check(ctx(order)) is None
    hold = check.check(ctx(order, channel_policy={"payment": {"require": "paid"}}))
    assert hold.detail == "payment is authorized; this channel needs it paid before fulfillment"


def test_payment_exempt_gateway_is_never_held(make_order):
    cod = Payment(gateway="Cash_On_Delivery", amount=Money.parse("10.00", "EUR"))
    order = make_order(financial_status=FinancialStatus.PENDING, payments=[cod])
    check = PaymentCheck(PaymentConfig(exempt_gateways=["cash_on_delivery"]))
    assert check.check(ctx(order)) is None
    assert PaymentCheck().check(ctx(order)) is not None


# address ---------------------------------------------------------------------------------------


def test_complete_address_passes(make_order):
    assert AddressCheck().check(ctx(make_order())) is None


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"line1": None, "city": " "}, "missing street address, city"),
        ({"country": None}, "missing country"),
        ({"postal_code": "7500"}, "postal code '7500' is not a valid FR postal code (e.g. 75001)"),
        ({"postal_code": None}, "missing postal code"),
        ({"country": "France"}, "country 'France' is not an ISO 3166 country code"),
        (
            {"country": "US", "postal_code": "10001", "region": None},
            "missing region",
        ),
    ],
)
def test_incomplete_address_is_held(make_order, make_address, fields, detail):
    order = make_order(shipping_address=make_address(**fields))
    hold = AddressCheck().check(ctx(order))
    assert hold.reason is HoldReason.ADDRESS
    assert hold.detail == f"shipping address: {detail}"


def test_missing_address_is_held_unless_nothing_ships(make_order, make_line):
    assert AddressCheck().check(ctx(make_order(shipping_address=None))).detail == (
        "shipping address: missing"
    )
    pickup = make_order(shipping_address=None, pickup_location="STORE-1")
    digital = make_order(make_line("GIFT", 1, requires_shipping=False), shipping_address=None)
    assert AddressCheck().check(ctx(pickup)) is None
    assert AddressCheck().check(ctx(digital)) is None


def test_country_outside_the_allowed_list_is_held(make_order, make_address):
    check = AddressCheck(AddressConfig(allowed_countries=["FR", "BE"]))
    order = make_order(shipping_address=make_address(country="DE", postal_code="10115"))
    assert check.check(ctx(order)).detail == "shipping address: we do not ship to DE"
    assert check.check(ctx(make_order())) is None


def test_shipping_method_must_serve_the_destination(make_order, make_address):
    express = ShippingLine(title="Express", code="express", price=Money.parse("9.90", "EUR"))
    check = AddressCheck(AddressConfig(method_countries={"express": ["FR"]}))
    in_france = make_order(shipping_lines=[express])
    in_spain = make_order(
        shipping_lines=[express], shipping_address=make_address(country="ES", postal_code="28013")
    )
    assert check.check(ctx(in_france)) is None
    assert check.check(ctx(in_spain)).detail == (
        "shipping address: shipping method 'express' does not deliver to ES"
    )


def test_several_problems_are_listed_together(make_order, make_address):
    check = AddressCheck(AddressConfig(allowed_countries=["FR"]))
    order = make_order(shipping_address=make_address(country="DE", postal_code="1234", name=""))
    assert check.check(ctx(order)).detail == (
        "shipping address: missing recipient name; we do not ship to DE; "
        "postal code '1234' is not a valid DE postal code (e.g. 10115)"
    )


# duplicate -------------------------------------------------------------------------------------


def earlier(make_order, order, minutes, **fields):
    base = {
        "id": "ord_0",
        "external_id": "1000",
        "number": "#1000",
        "placed_at": order.placed_at - timedelta(minutes=minutes),
        "lines": order.lines,
    }
    base.update(fields)
    return make_order(**base)


def test_same_email_same_basket_within_window_is_a_duplicate(make_order, make_line):
    order = make_order(make_line("SKU-A", 2), make_line("SKU-B", 1))
    before = earlier(make_order, order, 12, lines=[make_line("SKU-B", 1), make_line("SKU-A", 2)])
    hold = DuplicateCheck().check(ctx(order, recent_orders=[before]))
    assert hold.reason is HoldReason.DUPLICATE
    assert hold.detail == (
        "looks like a duplicate of order #1000 (same e-mail, same items and quantities, "
        "placed 12 min earlier)"
    )


def test_same_address_with_a_new_email_is_a_duplicate(make_order):
    order = make_order()
    before = earlier(make_order, order, 5, customer=Customer(email="other@example.com"))
    hold = DuplicateCheck().check(ctx(order, recent_orders=[before]))
    assert "same shipping address" in hold.detail


@pytest.mark.parametrize(
    "difference",
    ["other_quantity", "outside_window", "cancelled", "itself", "other_customer"],
)
def test_not_a_duplicate(make_order, make_line, make_address, difference):
    order = make_order(make_line("SKU-A", 2))
    fields = {
        "other_quantity": {"lines": [make_line("SKU-A", 3)]},
        "outside_window": {"placed_at": order.placed_at - timedelta(minutes=31)},
        "cancelled": {"status": OrderStatus.CANCELLED},
        "itself": {"id": order.id, "external_id": order.external_id},
        "other_customer": {
            "customer": Customer(email="someone@example.com"),
            "shipping_address": make_address(line1="3 avenue Foch"),
        },
    }[difference]
    before = earlier(make_order, order, 10, **fields)
    assert DuplicateCheck().check(ctx(order, recent_orders=[before])) is None


def test_duplicate_window_is_configurable_per_channel(make_order):
    order = make_order()
    before = earlier(make_order, order, 45)
    context = ctx(
        order, recent_orders=[before], channel_policy={"duplicate": {"window_minutes": 60}}
    )
    assert DuplicateCheck().check(context) is not None
    assert DuplicateCheck().check(ctx(order, recent_orders=[before])) is None


# fraud -----------------------------------------------------------------------------------------


def test_fraud_value_threshold(make_order, make_line):
    check = FraudCheck(FraudConfig(review_above={"EUR": "500.00"}))
    cheap = make_order(make_line("SKU-A", 50))  # 500.00 EUR: not above
    dear = make_order(make_line("SKU-A", 51))
    usd_line = make_line("SKU-A", 51, unit_price=Money.parse("10.00", "USD"))
    usd = make_order(usd_line, currency="USD")
    assert check.check(ctx(cheap)) is None
    assert check.check(ctx(usd)) is None
    hold = check.check(ctx(dear))
    assert hold.reason is HoldReason.FRAUD
    assert hold.detail == "order value 510.00 EUR is above the review threshold of 500.00 EUR"


def test_fraud_country_mismatch(make_order, make_address):
    check = FraudCheck(FraudConfig(country_mismatch=True))
    same = make_order(billing_address=make_address())
    other = make_order(billing_address=make_address(country="NG", postal_code=None))
    assert check.check(ctx(same)) is None
    assert check.check(ctx(other)).detail == "billing country NG differs from shipping country FR"
    assert FraudCheck().check(ctx(other)) is None  # rule off by default


def test_fraud_velocity_per_email_and_customer_account(make_order):
    check = FraudCheck(FraudConfig(velocity_max_orders=2, velocity_window_minutes=60))
    order = make_order()
    one = earlier(make_order, order, 20, customer=Customer(email="CAMILLE@example.com "))
    two = earlier(
        make_order,
        order,
        40,
        id="ord_x",
        external_id="999",
        customer=Customer(email="new@example.com", external_id="c1"),
    )
    stale = earlier(make_order, order, 90, id="ord_old", external_id="900")
    order.customer = Customer(email="camille@example.com", external_id="c1")
    assert check.check(ctx(order, recent_orders=[one, stale])) is None
    hold = check.check(ctx(order, recent_orders=[one, two, stale]))
    assert hold.detail == "3 orders from camille@example.com within 60 min (limit 2)"


def test_fraud_lists_every_rule_that_fires(make_order, make_line, make_address):
    check = FraudCheck(FraudConfig(review_above={"EUR": "5.00"}, country_mismatch=True))
    order = make_order(billing_address=make_address(country="BE", postal_code="1000"))
    assert check.check(ctx(order)).detail == (
        "order value 10.00 EUR is above the review threshold of 5.00 EUR; "
        "billing country BE differs from shipping country FR"
    )


def test_fraud_threshold_must_be_money():
    with pytest.raises(ValueError):
        FraudConfig(review_above={"EUR": "12.345"})


# runner ----------------------------------------------------------------------------------------


class AlwaysHold:
    name = "vip_review"

    def check(self, context):
        return HoldRequest(reason=HoldReason.PLUGIN, detail="VIP orders are reviewed")


class Broken:
    name = "broken"

    def check(self, context):
        raise RuntimeError("service down")


class AsyncHold:
    name = "remote_score"

    async def check(self, context):
        return HoldRequest(reason=HoldReason.FRAUD, detail="score 97")


def test_run_checks_collects_every_hold_with_its_check_name(make_order):
    order = make_order(financial_status=FinancialStatus.PENDING)
    holds = run_checks(
        ctx(order, available={"SKU-A": 5}),
        [AvailabilityCheck(), PaymentCheck(), AddressCheck(), AlwaysHold(), Broken()],
    )
    assert [(h.check, h.reason) for h in holds] == [
        ("payment", HoldReason.PAYMENT),
        ("vip_review", HoldReason.PLUGIN),
        ("broken", HoldReason.PLUGIN),
    ]
    assert holds[2].detail == "check 'broken' could not run: RuntimeError: service down"


def test_run_checks_passes_a_good_order(make_order):
    order = make_order(financial_status=FinancialStatus.PAID)
    checks = [AvailabilityCheck(), PaymentCheck(), AddressCheck(), DuplicateCheck(), FraudCheck()]
    assert run_checks(ctx(order, available={"SKU-A": 1}), checks) == []


def test_bad_channel_override_holds_instead_of_passing(make_order):
    order = make_order(financial_status=FinancialStatus.PAID)
    holds = run_checks(
        ctx(order, channel_policy={"payment": {"require": "maybe"}}), [PaymentCheck()]
    )
    assert len(holds) == 1
    assert holds[0].check == "payment"
    assert "could not run" in holds[0].detail


def test_async_checks_need_the_async_runner(make_order):
    with pytest.raises(TypeError, match="run_checks_async"):
        run_checks(ctx(make_order()), [AsyncHold()])


async def test_run_checks_async_awaits_and_mixes(make_order):
    order = make_order(financial_status=FinancialStatus.PAID)
    holds = await run_checks_async(ctx(order), [PaymentCheck(), AsyncHold(), Broken()])
    assert [(h.check, h.detail) for h in holds] == [
        ("remote_score", "score 97"),
        ("broken", "check 'broken' could not run: RuntimeError: service down"),
    ]
