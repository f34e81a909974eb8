"""allocation: location ships_to, incoming lots received/promised, preorders

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import orderhub.hub.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ships_to", JSON, nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("incoming_stock", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("received", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(
            sa.Column("promised", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.create_check_constraint(
            op.f("ck_incoming_stock_received_not_negative"), "received >= 0"
        )
        batch_op.create_check_constraint(
            op.f("ck_incoming_stock_promised_not_negative"), "promised >= 0"
        )
        batch_op.create_index(
            "ix_incoming_stock_item_location_status",
            ["item_id", "location_id", "status"],
            unique=False,
        )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reservations_location_created", ["location_id", "created_at"], unique=False
        )
    op.create_table(
        "preorders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("line_id", sa.String(length=40), nullable=False),
        sa.Column("incoming_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at", orderhub.hub.store.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_preorders_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["incoming_id"],
            ["incoming_stock.id"],
            name=op.f("fk_preorders_incoming_id_incoming_stock"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_preorders_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preorders")),
    )
    with op.batch_alter_table("preorders", schema=None) as batch_op:
        batch_op.create_index("ix_preorders_incoming_status", ["incoming_id", "status"])
        batch_op.create_index(batch_op.f("ix_preorders_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("preorders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preorders_order_id"))
        batch_op.drop_index("ix_preorders_incoming_status")
    op.drop_table("preorders")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_reservations_location_created")
    with op.batch_alter_table("incoming_stock", schema=None) as batch_op:
        batch_op.drop_index("ix_incoming_stock_item_location_status")
        batch_op.drop_constraint(op.f("ck_incoming_stock_promised_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_incoming_stock_received_not_negative"), type_="check")
        batch_op.drop_column("promised")
        batch_op.drop_column("received")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("ships_to")
