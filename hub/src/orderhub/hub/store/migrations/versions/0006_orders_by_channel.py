"""orders by channel, newest first: index (connection_id, id) for the console's channel filter

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_connection_id_id", ["connection_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_connection_id_id")
