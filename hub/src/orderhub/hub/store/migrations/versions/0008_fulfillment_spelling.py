"""one spelling: "fulfillment" in table, column, index and constraint names and stored words

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 14:40:00

The hub spelled the word two ways. Core's spelling wins: the tables `fulfilments` and
`fulfilment_lines`, the `fulfilment_id` columns, their indexes and constraints are renamed,
and the stored words that name them (the history action `fulfilment_released`, outbox
idempotency keys `fulfilment:<id>`) are rewritten so a retried push keeps its key.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD, NEW = "fulfilment", "fulfillment"

TABLES = [("fulfilments", "fulfillments"), ("fulfilment_lines", "fulfillment_lines")]
COLUMNS = [("fulfillment_lines", "fulfilment_id"), ("shipments", "fulfilment_id")]
# (table after the rename, index and its columns in the old spelling)
INDEXES = [
    ("fulfillments", "ix_fulfilments_location_status", ["location_id", "status"]),
    ("fulfillments", "ix_fulfilments_order_id", ["order_id"]),
    ("fulfillment_lines", "ix_fulfilment_lines_fulfilment_id", ["fulfilment_id"]),
    ("shipments", "ix_shipments_fulfilment_id", ["fulfilment_id"]),
]
# Constraint names exist as objects only on PostgreSQL; SQLite keeps them in the table's text.
CONSTRAINTS = [
    ("fulfillments", "pk_fulfilments"),
    ("fulfillments", "fk_fulfilments_location_id_locations"),
    ("fulfillments", "fk_fulfilments_order_id_orders"),
    ("fulfillment_lines", "pk_fulfilment_lines"),
    ("fulfillment_lines", "ck_fulfilment_lines_quantity_not_negative"),
    ("fulfillment_lines", "fk_fulfilment_lines_fulfilment_id_fulfilments"),
    ("fulfillment_lines", "fk_fulfilment_lines_item_id_items"),
    ("fulfillment_lines", "fk_fulfilment_lines_line_id_order_lines"),
    ("shipments", "fk_shipments_fulfilment_id_fulfilments"),
]


def _spell(name: str, old: str, new: str) -> str:
    return name.replace(old, new)


def _rename(old: str, new: str) -> None:
    """Rename everything from spelling `old` to spelling `new` (used both ways)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for before, after in TABLES:
        op.rename_table(_spell(before, OLD, old), _spell(after, NEW, new))
    for table, column in COLUMNS:
        table_now = _spell(table, NEW, new)
        op.execute(
            f"ALTER TABLE {table_now} RENAME COLUMN {_spell(column, OLD, old)} "
            f"TO {_spell(column, OLD, new)}"
        )
    for table, index, columns in INDEXES:
        table_now = _spell(table, NEW, new)
        before, after = _spell(index, OLD, old), _spell(index, OLD, new)
        if postgres:
            op.execute(f"ALTER INDEX {before} RENAME TO {after}")
        else:  # SQLite cannot rename an index
            op.drop_index(before, table_name=table_now)
            op.create_index(after, table_now, [_spell(c, OLD, new) for c in columns])
    if postgres:
        for table, constraint in CONSTRAINTS:
            op.execute(
                f"ALTER TABLE {_spell(table, NEW, new)} RENAME CONSTRAINT "
                f"{_spell(constraint, OLD, old)} TO {_spell(constraint, OLD, new)}"
            )
    op.execute(
        f"UPDATE order_history SET action = '{new}_released' WHERE action = '{old}_released'"
    )
    op.execute(
        f"UPDATE outbox SET idempotency_key = '{new}:' || substr(idempotency_key, "
        f"{len(old) + 2}) WHERE idempotency_key LIKE '{old}:%'"
    )


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
