"""Orders as OrderHub keeps them, whatever channel they came from."""

from __future__ import annotations

import enum
from datetime import date, datetime

import msgspec

from orderhub.core.model.common import Address, Customer
from orderhub.core.money import Money


class OrderStatus(enum.StrEnum):
    """Where an order is in its life. Legal moves are in `orderhub.core.lifecycle`."""

    PENDING = "pending"
    """Received, not yet through pre-processing."""
    ON_HOLD = "on_hold"
    """A check (payment, address, fraud, duplicate, availability, plugin) stopped it."""
    ALLOCATED = "allocated"
    """Every line has stock reserved at a location."""
    PARTIALLY_ALLOCATED = "partially_allocated"
    """Some lines or units are reserved, the rest waits."""
    BACKORDERED = "backordered"
    """Nothing could be reserved; waits for incoming stock."""
    RELEASED = "released"
    """Handed to the location (or 3PL) for picking."""
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    """Closed: delivered and past the return window, or closed by an operator."""
    CANCELLED = "cancelled"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"


class FinancialStatus(enum.StrEnum):
    """The payment state as the channel reports it."""

    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    UNKNOWN = "unknown"


class HoldReason(enum.StrEnum):
    AVAILABILITY = "availability"
    PAYMENT = "payment"
    ADDRESS = "address"
    DUPLICATE = "duplicate"
    FRAUD = "fraud"
    UNKNOWN_SKU = "unknown_sku"
    MANUAL = "manual"
    PLUGIN = "plugin"


class Hold(msgspec.Struct, kw_only=True):
    """A reason an order may not proceed until someone or something releases it."""

    id: str
    reason: HoldReason
    detail: str
    source: str
    """The check or person that placed it ("preprocess.address", "user:alice")."""
    placed_at: datetime
    released_at: datetime | None = None
    released_by: str | None = None
    release_note: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None


class TaxLine(msgspec.Struct, kw_only=True):
    title: str
    rate: str
    """Decimal string ("0.2"), exact as the channel sent it."""
    amount: Money


class Discount(msgspec.Struct, kw_only=True):
    code: str | None = None
    title: str | None = None
    amount: Money


class OrderLine(msgspec.Struct, kw_only=True):
    """One SKU on an order, with every quantity the order's life moves it through."""

    sku: str | None
    """None when the channel sent a line without SKU; pre-processing holds the order."""
    name: str
    quantity: int
    unit_price: Money
    total_discount: Money | None = None
    taxes: list[TaxLine] = []
    external_id: str | None = None
    bindings: dict[str, str] = {}
    """Channel-side ids for this line (variant, inventory item...)."""
    quantity_allocated: int = 0
    quantity_backordered: int = 0
    quantity_shipped: int = 0
    quantity_cancelled: int = 0
    quantity_returned: int = 0
    requires_shipping: bool = True
    id: str = ""
    """OrderHub's line id, assigned when the order is first stored."""

    @property
    def quantity_open(self) -> int:
        """Units still to allocate or ship: ordered minus cancelled minus shipped."""
        return self.quantity - self.quantity_cancelled - self.quantity_shipped


class ShippingLine(msgspec.Struct, kw_only=True):
    title: str
    code: str | None = None
    """Service level the customer chose ("standard", "express", "pickup")."""
    price: Money
    carrier: str | None = None


class Payment(msgspec.Struct, kw_only=True):
    gateway: str
    amount: Money
    kind: str = "sale"
    """authorization | capture | sale | refund | void."""
    status: str = "success"
    reference: str | None = None
    processed_at: datetime | None = None


class OrderTotals(msgspec.Struct, kw_only=True):
    subtotal: Money
    shipping: Money
    discounts: Money
    tax: Money
    total: Money


class Order(msgspec.Struct, kw_only=True):
    """The canonical order. Connectors produce it; the hub stores and evolves it."""

    connection: str
    """The connection it came from ("manual", "shopify-eu")."""
    external_id: str
    """The channel's id; unique per connection."""
    number: str
    """What the customer and the merchant call it ("#1001")."""
    currency: str
    placed_at: datetime
    lines: list[OrderLine]
    id: str | None = None
    """OrderHub's id, assigned when the order is first stored."""
    status: OrderStatus = OrderStatus.PENDING
    financial_status: FinancialStatus = FinancialStatus.UNKNOWN
    customer: Customer | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    shipping_lines: list[ShippingLine] = []
    discounts: list[Discount] = []
    taxes: list[TaxLine] = []
    totals: OrderTotals | None = None
    payments: list[Payment] = []
    tags: list[str] = []
    notes: str | None = None
    attributes: dict[str, str] = {}
    holds: list[Hold] = []
    promised_date: date | None = None
    pickup_location: str | None = None
    """Location code the customer chose for click & collect."""
    cancel_reason: str | None = None
    test: bool = False
    source_updated_at: datetime | None = None
    """The channel's last-modified time: stale updates are ignored by the merge."""
    version: int = 0
    """OrderHub's own optimistic-concurrency version, bumped by every change."""

    @property
    def active_holds(self) -> list[Hold]:
        return [hold for hold in self.holds if hold.active]

    def computed_totals(self) -> OrderTotals:
        """Totals from the lines when the channel did not send them."""
        zero = Money.zero(self.currency)
        subtotal = zero
        discounts = zero
        tax = zero
        for line in self.lines:
            subtotal = subtotal + line.unit_price * line.quantity
            if line.total_discount is not None:
                discounts = discounts + line.total_discount
            for tax_line in line.taxes:
                tax = tax + tax_line.amount
        for discount in self.discounts:
            discounts = discounts + discount.amount
        shipping = zero
        for shipping_line in self.shipping_lines:
            shipping = shipping + shipping_line.price
        return OrderTotals(
            subtotal=subtotal,
            shipping=shipping,
            discounts=discounts,
            tax=tax,
            total=subtotal + shipping - discounts + tax,
        )
