"""book of record: orders, executions, positions, messages

Revision ID: 0001
Revises:
Create Date: 2026-11-22 05:33:08.214869
"""

import sqlalchemy as sa
from alembic import op

import oms.store.schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "executions",
        sa.Column("exec_id", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("venue", sa.String(length=64), nullable=False),
        sa.Column("venue_exec_id", sa.String(length=128), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=1), nullable=False),
        sa.Column("last_qty", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("last_px", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("exec_id"),
        sa.UniqueConstraint("venue", "venue_exec_id", name="uq_executions_venue_exec_id"),
    )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_executions_order_id"), ["order_id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False, comment="in (received) or out (sent)"),
        sa.Column("session", sa.String(length=128), nullable=False),
        sa.Column("msg_type", sa.String(length=4), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("cl_ord_id", sa.String(length=128), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_order_id", ["order_id"], unique=False)
        batch_op.create_index("ix_messages_session_seq", ["session", "seq"], unique=False)

    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("session", sa.String(length=128), nullable=False),
        sa.Column("cl_ord_id", sa.String(length=128), nullable=False),
        sa.Column("orig_cl_ord_id", sa.String(length=128), nullable=True),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=1), nullable=False),
        sa.Column("ord_type", sa.String(length=1), nullable=False),
        sa.Column("time_in_force", sa.String(length=1), nullable=False),
        sa.Column("price", oms.store.schema.Money(precision=38, scale=12), nullable=True),
        sa.Column("order_qty", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("cum_qty", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("leaves_qty", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("avg_px", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("venue", sa.String(length=64), nullable=True),
        sa.Column("venue_cl_ord_id", sa.String(length=128), nullable=True),
        sa.Column("venue_order_id", sa.String(length=128), nullable=True),
        sa.Column("ord_rej_reason", sa.String(length=4), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("reports_sent", sa.Integer(), nullable=False),
        sa.Column("requests_sent", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Text(), nullable=True),
        sa.Column("created_ns", sa.BigInteger(), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
        sa.UniqueConstraint("seq"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_session_cl_ord_id", ["session", "cl_ord_id"], unique=False)
        batch_op.create_index("ix_orders_venue_cl_ord_id", ["venue_cl_ord_id"], unique=False)

    op.create_table(
        "positions",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("qty", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("avg_cost", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("realized_pnl", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("fees", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("mark", oms.store.schema.Money(precision=38, scale=12), nullable=True),
        sa.Column("bought_qty", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("sold_qty", oms.store.schema.Money(precision=38, scale=12), nullable=False),
        sa.Column("updated_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account", "symbol"),
    )


def downgrade() -> None:

    op.drop_table("positions")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_venue_cl_ord_id")
        batch_op.drop_index("ix_orders_session_cl_ord_id")

    op.drop_table("orders")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_session_seq")
        batch_op.drop_index("ix_messages_order_id")

    op.drop_table("messages")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_executions_order_id"))

    op.drop_table("executions")
