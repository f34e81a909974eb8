"""Every table of the hub. Migrations in `migrations/` create exactly this schema.

Conventions: public ids are prefixed strings (`ord_...`) made by `orderhub.hub.ids`;
ledgers and queues use integer keys; times are UTC; money is integer minor units in the
order's currency.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from orderhub.hub.store.types import Json, UtcDateTime, utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: Json, list[Any]: Json}


def _created() -> Mapped[datetime]:
    return mapped_column(UtcDateTime(), default=utcnow, nullable=False)


def _updated() -> Mapped[datetime]:
    return mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


def _of_order() -> Mapped[OrderRow]:
    """A link to the row's order that is never loaded (`lazy="raise"`). It is there for the
    unit of work: when a batch of new orders is written in one flush, the orders' rows are
    inserted before the lines, holds, history and reservations that point at them."""
    return relationship("OrderRow", lazy="raise")


# ------------------------------------------------------------------ catalog and locations


class ItemRow(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(128), unique=True)
    name: Mapped[str] = mapped_column(sa.String(512))
    barcode: Mapped[str | None] = mapped_column(sa.String(64))
    price_amount: Mapped[int | None]
    price_currency: Mapped[str | None] = mapped_column(sa.String(3))
    weight_grams: Mapped[int | None]
    tags: Mapped[list[Any]] = mapped_column(default=list)
    substitutes: Mapped[list[Any]] = mapped_column(default=list)
    sku_group: Mapped[str | None] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class LocationRow(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(256))
    kind: Mapped[str] = mapped_column(sa.String(16))
    address: Mapped[dict[str, Any] | None] = mapped_column(Json)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    capabilities: Mapped[list[Any]] = mapped_column(default=list)
    priority: Mapped[int] = mapped_column(default=100)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(Json)
    active: Mapped[bool] = mapped_column(default=True)
    ships_to: Mapped[list[Any]] = mapped_column(default=list)
    """Countries ("FR") or regions ("US-CA") it delivers to; empty is anywhere."""
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


# ------------------------------------------------------------------------------ stock


class StockLevelRow(Base):
    """One row per (item, location). `reserved` mirrors the sum of active reservations and is
    only changed by conditional updates, so available never goes below zero."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        sa.CheckConstraint("safety_stock >= 0", name="safety_not_negative"),
    )

    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    incoming: Mapped[int] = mapped_column(default=0)
    safety_stock: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = _updated()


class StockMovementRow(Base):
    """The ledger: every change of on hand, with why and who."""

    __tablename__ = "stock_movements"
    __table_args__ = (sa.Index("ix_stock_movements_item_location", "item_id", "location_id", "id"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    delta: Mapped[int]
    on_hand_after: Mapped[int]
    reason: Mapped[str | None] = mapped_column(sa.String(256))
    reference: Mapped[str | None] = mapped_column(sa.String(128))
    actor: Mapped[str | None] = mapped_column(sa.String(128))
    at: Mapped[datetime] = _created()


class ReservationRow(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_reservations_item_location_status", "item_id", "location_id", "status"),
        sa.Index("ix_reservations_location_created", "location_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    order_id: Mapped[str] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    line_id: Mapped[str] = mapped_column(sa.String(40))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    order_row: Mapped[OrderRow] = _of_order()


class IncomingStockRow(Base):
    """Purchase orders and transfers on their way, by expected date.

    `quantity - received` units are still expected; `promised` of them are preordered (only
    changed by conditional updates, so a lot is never promised twice)."""

    __tablename__ = "incoming_stock"
    __table_args__ = (
        sa.CheckConstraint("received >= 0", name="received_not_negative"),
        sa.CheckConstraint("promised >= 0", name="promised_not_negative"),
        sa.Index("ix_incoming_stock_item_location_status", "item_id", "location_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    quantity: Mapped[int]
    expected_on: Mapped[date]
    reference: Mapped[str] = mapped_column(sa.String(128))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    """open | received | cancelled."""
    received: Mapped[int] = mapped_column(default=0)
    promised: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = _created()


class PreorderRow(Base):
    """Units of an order line allocated against an incoming lot, waiting for it to arrive."""

    __tablename__ = "preorders"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_preorders_incoming_status", "incoming_id", "status"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    order_id: Mapped[str] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[str] = mapped_column(sa.String(40))
    incoming_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_stock.id"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    """open (waiting for the lot) | filled (reserved on receipt) | released."""
    created_at: Mapped[datetime] = _created()


# ----------------------------------------------------------------------------- orders


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "external_id"),
        sa.Index("ix_orders_status_id", "status", "id"),
        sa.Index("ix_orders_placed_at", "placed_at"),
        sa.Index("ix_orders_customer_email", "customer_email"),
        sa.Index("ix_orders_connection_id_id", "connection_id", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    connection_id: Mapped[str] = mapped_column(sa.String(64))
    external_id: Mapped[str] = mapped_column(sa.String(128))
    number: Mapped[str] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(sa.String(24))
    financial_status: Mapped[str] = mapped_column(sa.String(24))
    currency: Mapped[str] = mapped_column(sa.String(3))
    total_amount: Mapped[int] = mapped_column(sa.BigInteger)
    placed_at: Mapped[datetime]
    customer_email: Mapped[str | None] = mapped_column(sa.String(320))
    customer: Mapped[dict[str, Any] | None] = mapped_column(Json)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(Json)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(Json)
    shipping_lines: Mapped[list[Any]] = mapped_column(default=list)
    discounts: Mapped[list[Any]] = mapped_column(default=list)
    taxes: Mapped[list[Any]] = mapped_column(default=list)
    totals: Mapped[dict[str, Any] | None] = mapped_column(Json)
    payments: Mapped[list[Any]] = mapped_column(default=list)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    promised_date: Mapped[date | None]
    pickup_location: Mapped[str | None] = mapped_column(sa.String(64))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(256))
    test: Mapped[bool] = mapped_column(default=False)
    source_updated_at: Mapped[datetime | None]
    routing_trace: Mapped[list[Any] | None] = mapped_column(Json)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class OrderLineRow(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_order_lines_sku", "sku"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    external_id: Mapped[str | None] = mapped_column(sa.String(128))
    sku: Mapped[str | None] = mapped_column(sa.String(128))
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("items.id"))
    name: Mapped[str] = mapped_column(sa.String(512))
    quantity: Mapped[int]
    unit_price_amount: Mapped[int] = mapped_column(sa.BigInteger)
    total_discount_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    taxes: Mapped[list[Any]] = mapped_column(default=list)
    bindings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    requires_shipping: Mapped[bool] = mapped_column(default=True)
    quantity_allocated: Mapped[int] = mapped_column(default=0)
    quantity_backordered: Mapped[int] = mapped_column(default=0)
    quantity_shipped: Mapped[int] = mapped_column(default=0)
    quantity_cancelled: Mapped[int] = mapped_column(default=0)
    quantity_returned: Mapped[int] = mapped_column(default=0)
    order_row: Mapped[OrderRow] = _of_order()


class OrderHoldRow(Base):
    __tablename__ = "order_holds"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.String(24))
    detail: Mapped[str] = mapped_column(sa.String(1024))
    source: Mapped[str] = mapped_column(sa.String(128))
    placed_at: Mapped[datetime] = _created()
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(sa.String(128))
    release_note: Mapped[str | None] = mapped_column(sa.String(1024))
    order_row: Mapped[OrderRow] = _of_order()


class OrderHistoryRow(Base):
    """Append-only: who or what changed an order, when, what and why."""

    __tablename__ = "order_history"
    __table_args__ = (sa.Index("ix_order_history_order_id_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    order_id: Mapped[str] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    at: Mapped[datetime] = _created()
    actor_kind: Mapped[str] = mapped_column(sa.String(16))
    actor_name: Mapped[str] = mapped_column(sa.String(128))
    action: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str | None] = mapped_column(sa.String(1024))
    version: Mapped[int]
    order_row: Mapped[OrderRow] = _of_order()


class BindingRow(Base):
    """External ids per connection: which provider id is which OrderHub record."""

    __tablename__ = "bindings"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "entity", "external_id"),
        sa.Index("ix_bindings_entity_internal", "entity", "internal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[str] = mapped_column(sa.String(64))
    entity: Mapped[str] = mapped_column(sa.String(24))
    """order | line | item | location | customer | fulfillment | shipment."""
    external_id: Mapped[str] = mapped_column(sa.String(256))
    internal_id: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = _created()


# ------------------------------------------------------------------- inbox and outbox


class InboxRow(Base):
    """Every accepted webhook, before and after processing. (connection, event) is unique."""

    __tablename__ = "inbox"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "event_id"),
        sa.Index("ix_inbox_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    connection_id: Mapped[str] = mapped_column(sa.String(64))
    event_id: Mapped[str] = mapped_column(sa.String(256))
    topic: Mapped[str] = mapped_column(sa.String(128))
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    """pending | processing | done | failed (will retry) | dead."""
    attempts: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = _created()
    next_attempt_at: Mapped[datetime] = _created()
    claimed_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)


class OutboxRow(Base):
    """Every effect that must leave the hub, written in the transaction that decided it."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "idempotency_key"),
        sa.Index("ix_outbox_status_next", "status", "next_attempt_at"),
        sa.Index(
            "uq_outbox_pending_coalesce",
            "connection_id",
            "coalesce_key",
            unique=True,
            sqlite_where=sa.text("status = 'pending' AND coalesce_key IS NOT NULL"),
            postgresql_where=sa.text("status = 'pending' AND coalesce_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    connection_id: Mapped[str] = mapped_column(sa.String(64))
    operation: Mapped[str] = mapped_column(sa.String(64))
    """The connector method to call ("push_stock", "push_fulfillment", ...)."""
    idempotency_key: Mapped[str] = mapped_column(sa.String(256))
    coalesce_key: Mapped[str | None] = mapped_column(sa.String(256))
    """Rows with the same key replace each other while pending (stock: "stock:<sku>")."""
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    """pending | processing | done | dead."""
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = _created()
    next_attempt_at: Mapped[datetime] = _created()
    claimed_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)


class SyncCursorRow(Base):
    __tablename__ = "sync_cursors"

    connection_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    stream: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = _updated()


class ConnectionStateRow(Base):
    """Health of a connection, as the worker last saw it."""

    __tablename__ = "connection_state"

    connection_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(512))
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)


class PublishedAvailabilityRow(Base):
    """The last quantity queued for a channel per SKU, so unchanged numbers are not re-pushed."""

    __tablename__ = "published_availability"

    connection_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    quantity: Mapped[int]
    updated_at: Mapped[datetime] = _updated()


class CounterRow(Base):
    """Named gap-free counters (order numbers of the manual channel), bumped in the
    transaction that uses the value, so a rolled-back order gives its number back."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)


# ---------------------------------------------------------------------------- access


class ApiTokenRow(Base):
    """API tokens, stored as SHA-256 of a 256-bit random secret: the secret is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        # One active token per name, even when two requests create it at the same moment.
        sa.Index(
            "uq_api_tokens_active_name",
            "name",
            unique=True,
            postgresql_where=sa.text("revoked_at IS NULL"),
            sqlite_where=sa.text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    locations: Mapped[list[Any]] = mapped_column(default=list)
    """For the warehouse role: the location codes it may act on."""
    created_at: Mapped[datetime] = _created()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


# --------------------------------------------------------------------------- console


class ConsoleUserRow(Base):
    """A person who signs in to the back-office console. The password is an argon2id hash."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    locations: Mapped[list[Any]] = mapped_column(default=list)
    """For the warehouse role: the location codes whose work the user sees and does."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    last_sign_in_at: Mapped[datetime | None]


class ConsoleSessionRow(Base):
    """A signed-in browser. The cookie holds a random secret; only its SHA-256 is kept."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("console_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ConsoleSignInAttemptRow(Base):
    """Sign-in attempts by username and address, counted to slow down password guessing."""

    __tablename__ = "console_sign_in_attempts"
    __table_args__ = (
        sa.Index("ix_console_sign_in_attempts_username_ip_at", "username", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    username: Mapped[str] = mapped_column(sa.String(64))
    ip: Mapped[str] = mapped_column(sa.String(64))
    succeeded: Mapped[bool]
    at: Mapped[datetime] = _created()


# ------------------------------------------------------------------------ fulfillment


class FulfillmentRow(Base):
    """The part of an order one location fulfils: planned from the order's reservations,
    released by rule, picked, packed into shipments, shipped."""

    __tablename__ = "fulfillments"
    __table_args__ = (sa.Index("ix_fulfillments_location_status", "location_id", "status"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"))
    method: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    """planned | released | picking (picks confirmed) | packed | shipped | cancelled."""
    release_rule: Mapped[str | None] = mapped_column(sa.String(64))
    """What released it: immediate, when_paid, waves, operator."""
    planned_at: Mapped[datetime] = _created()
    released_at: Mapped[datetime | None]
    picked_at: Mapped[datetime | None]
    packed_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = _updated()


class FulfillmentLineRow(Base):
    __tablename__ = "fulfillment_lines"
    __table_args__ = (sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fulfillment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("fulfillments.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[str] = mapped_column(sa.ForeignKey("order_lines.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("items.id"))
    sku: Mapped[str] = mapped_column(sa.String(128))
    quantity: Mapped[int]
    """Units to send; a short pick lowers it to what was found."""
    quantity_short: Mapped[int] = mapped_column(default=0)
    """Units not found at the pick, re-routed elsewhere."""
    quantity_picked: Mapped[int | None]


class ShipmentRow(Base):
    """One parcel: its contents and measures, the carrier chosen for it, its label (see
    `labels`) and where it is. Packing makes one per parcel."""

    __tablename__ = "shipments"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    fulfillment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("fulfillments.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16))
    """packed | labelled | shipped | voided (its label was given back; re-packed since)."""
    weight_grams: Mapped[int]
    length_mm: Mapped[int | None]
    width_mm: Mapped[int | None]
    height_mm: Mapped[int | None]
    lines: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Order line id -> units in this parcel."""
    connection_id: Mapped[str | None] = mapped_column(sa.String(64))
    """The carrier connection chosen (or used) for it."""
    carrier: Mapped[str | None] = mapped_column(sa.String(64))
    service: Mapped[str | None] = mapped_column(sa.String(128))
    rate: Mapped[dict[str, Any] | None] = mapped_column(Json)
    """The chosen rate (core `Rate`)."""
    rate_choice: Mapped[dict[str, Any] | None] = mapped_column(Json)
    """Why: the rule applied, the reasons, every alternative and every carrier's error."""
    tracking_number: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    tracking_url: Mapped[str | None] = mapped_column(sa.String(1024))
    tracking_status: Mapped[str | None] = mapped_column(sa.String(24))
    tracking_raw_status: Mapped[str | None] = mapped_column(sa.String(128))
    tracking_at: Mapped[datetime | None]
    """When the carrier saw the latest event: older events never move the status back."""
    cost_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    cost_currency: Mapped[str | None] = mapped_column(sa.String(3))
    attention: Mapped[str | None] = mapped_column(sa.String(2048))
    """Why an operator must look at it (a carrier refusal, an unknown label purchase, a
    delivery exception); None when all is well."""
    attention_code: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    polled_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class LabelRow(Base):
    """A label purchase, written and committed BEFORE the carrier is called. Its id travels
    in the carrier's reference field, so a retry finds the record and never buys twice."""

    __tablename__ = "labels"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    shipment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[str] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    connection_id: Mapped[str] = mapped_column(sa.String(64))
    carrier: Mapped[str | None] = mapped_column(sa.String(64))
    service: Mapped[str | None] = mapped_column(sa.String(128))
    rate: Mapped[dict[str, Any] | None] = mapped_column(Json)
    label_format: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(16))
    """purchasing | purchased | failed (refused: nothing bought) | unknown (the carrier may
    have sold it: an operator checks) | voided."""
    tracking_number: Mapped[str | None] = mapped_column(sa.String(128))
    tracking_url: Mapped[str | None] = mapped_column(sa.String(1024))
    provider_ref: Mapped[str | None] = mapped_column(sa.String(256))
    cost_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    cost_currency: Mapped[str | None] = mapped_column(sa.String(3))
    document: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    document_path: Mapped[str | None] = mapped_column(sa.String(1024))
    error_code: Mapped[str | None] = mapped_column(sa.String(128))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = _created()
    purchased_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = _updated()


class TrackingEventRow(Base):
    """Every carrier event, from webhooks and polls. `shipment_id` is None for an orphan (a
    number no shipment has yet); it is attached when a label with that number appears."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        sa.UniqueConstraint("tracking_number", "occurred_at", "raw_status"),
        sa.Index("ix_tracking_events_shipment_id_occurred_at", "shipment_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    shipment_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("shipments.id", ondelete="CASCADE")
    )
    connection_id: Mapped[str] = mapped_column(sa.String(64))
    tracking_number: Mapped[str] = mapped_column(sa.String(128))
    carrier: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(24))
    raw_status: Mapped[str] = mapped_column(sa.String(128))
    occurred_at: Mapped[datetime]
    description: Mapped[str | None] = mapped_column(sa.String(2048))
    location: Mapped[str | None] = mapped_column(sa.String(512))
    source: Mapped[str] = mapped_column(sa.String(16))
    """webhook | poll."""
    received_at: Mapped[datetime] = _created()
