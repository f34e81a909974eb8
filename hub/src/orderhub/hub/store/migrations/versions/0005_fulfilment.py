"""fulfilment: groups per location and their lines, shipments (one per parcel), label
purchase records (written before the purchase) and every tracking event, orphans included

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orderhub.hub.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_DATETIME = orderhub.hub.store.types.UtcDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "fulfilments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("release_rule", sa.String(length=64), nullable=True),
        sa.Column("planned_at", UTC_DATETIME, nullable=False),
        sa.Column("released_at", UTC_DATETIME, nullable=True),
        sa.Column("picked_at", UTC_DATETIME, nullable=True),
        sa.Column("packed_at", UTC_DATETIME, nullable=True),
        sa.Column("shipped_at", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_fulfilments_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_fulfilments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfilments")),
    )
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fulfilments_location_status", ["location_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fulfilments_order_id"), ["order_id"], unique=False)

    op.create_table(
        "fulfilment_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fulfilment_id", sa.String(length=40), nullable=False),
        sa.Column("line_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_short", sa.Integer(), nullable=False),
        sa.Column("quantity_picked", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_fulfilment_lines_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["fulfilment_id"],
            ["fulfilments.id"],
            name=op.f("fk_fulfilment_lines_fulfilment_id_fulfilments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_fulfilment_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["order_lines.id"], name=op.f("fk_fulfilment_lines_line_id_order_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfilment_lines")),
    )
    with op.batch_alter_table("fulfilment_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fulfilment_lines_fulfilment_id"), ["fulfilment_id"], unique=False
        )

    op.create_table(
        "shipments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("fulfilment_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("length_mm", sa.Integer(), nullable=True),
        sa.Column("width_mm", sa.Integer(), nullable=True),
        sa.Column("height_mm", sa.Integer(), nullable=True),
        sa.Column("lines", JSON, nullable=False),
        sa.Column("connection_id", sa.String(length=64), nullable=True),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("service", sa.String(length=128), nullable=True),
        sa.Column("rate", JSON, nullable=True),
        sa.Column("rate_choice", JSON, nullable=True),
        sa.Column("tracking_number", sa.String(length=128), nullable=True),
        sa.Column("tracking_url", sa.String(length=1024), nullable=True),
        sa.Column("tracking_status", sa.String(length=24), nullable=True),
        sa.Column("tracking_raw_status", sa.String(length=128), nullable=True),
        sa.Column("tracking_at", UTC_DATETIME, nullable=True),
        sa.Column("cost_amount", sa.BigInteger(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("attention", sa.String(length=2048), nullable=True),
        sa.Column("attention_code", sa.String(length=128), nullable=True),
        sa.Column("polled_at", UTC_DATETIME, nullable=True),
        sa.Column("shipped_at", UTC_DATETIME, nullable=True),
        sa.Column("delivered_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["fulfilment_id"],
            ["fulfilments.id"],
            name=op.f("fk_shipments_fulfilment_id_fulfilments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipments_attention_code"), ["attention_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shipments_fulfilment_id"), ["fulfilment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_shipments_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shipments_tracking_number"), ["tracking_number"], unique=False
        )

    op.create_table(
        "labels",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("shipment_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("service", sa.String(length=128), nullable=True),
        sa.Column("rate", JSON, nullable=True),
        sa.Column("label_format", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tracking_number", sa.String(length=128), nullable=True),
        sa.Column("tracking_url", sa.String(length=1024), nullable=True),
        sa.Column("provider_ref", sa.String(length=256), nullable=True),
        sa.Column("cost_amount", sa.BigInteger(), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("document_path", sa.String(length=1024), nullable=True),
        sa.Column("error_code", sa.String(length=128), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("purchased_at", UTC_DATETIME, nullable=True),
        sa.Column("voided_at", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_labels_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_labels_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels")),
    )
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_labels_shipment_id"), ["shipment_id"], unique=False)

    op.create_table(
        "tracking_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shipment_id", sa.String(length=40), nullable=True),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("tracking_number", sa.String(length=128), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("raw_status", sa.String(length=128), nullable=False),
        sa.Column("occurred_at", UTC_DATETIME, nullable=False),
        sa.Column("description", sa.String(length=2048), nullable=True),
        sa.Column("location", sa.String(length=512), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_tracking_events_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint(
            "tracking_number",
            "occurred_at",
            "raw_status",
            name=op.f("uq_tracking_events_tracking_number_occurred_at_raw_status"),
        ),
    )
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tracking_events_shipment_id_occurred_at",
            ["shipment_id", "occurred_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_events_shipment_id_occurred_at")

    op.drop_table("tracking_events")
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_labels_shipment_id"))

    op.drop_table("labels")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_tracking_number"))
        batch_op.drop_index(batch_op.f("ix_shipments_order_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_fulfilment_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_attention_code"))

    op.drop_table("shipments")
    with op.batch_alter_table("fulfilment_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfilment_lines_fulfilment_id"))

    op.drop_table("fulfilment_lines")
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfilments_order_id"))
        batch_op.drop_index("ix_fulfilments_location_status")

    op.drop_table("fulfilments")
