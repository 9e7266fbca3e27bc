"""TCA captured at the time: decision price and route reason per order, bid/ask per fill, a mid series per symbol

Post-trade TCA (issue 18) measures against prices seen when things happened, never reconstructed later:
orders.decision_px (the sender's, where given), executions.bid/ask (the consolidated quote when the fill was
booked), and mids (symbol, ts_ns, mid), coalesced to a few rows a second per symbol, for markouts at +1 s, +5 s,
+60 s. orders.route_reason keeps why the router sent the order where it went. All nullable: rows from before this
revision, or without market data, have none.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

import oms.store.schema

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    money = oms.store.schema.Money(precision=38, scale=12)
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("decision_px", money, nullable=True))
        batch_op.add_column(sa.Column("route_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("executions") as batch_op:
        batch_op.add_column(sa.Column("bid", money, nullable=True))
        batch_op.add_column(sa.Column("ask", money, nullable=True))
    op.create_table(
        "mids",
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("ts_ns", sa.BigInteger(), primary_key=True),
        sa.Column("mid", money, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mids")
    with op.batch_alter_table("executions") as batch_op:
        batch_op.drop_column("ask")
        batch_op.drop_column("bid")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("route_reason")
        batch_op.drop_column("decision_px")
