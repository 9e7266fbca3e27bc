"""orders.arrival_bid, orders.arrival_ask: the consolidated bid and offer when the OMS booked the order

The arrival price post-trade TCA measures slippage against (issue 15). Nullable: orders booked before this
revision, or without market data, have none.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import oms.store.schema

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("arrival_bid", oms.store.schema.Money(precision=38, scale=12), nullable=True))
        batch_op.add_column(sa.Column("arrival_ask", oms.store.schema.Money(precision=38, scale=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("arrival_ask")
        batch_op.drop_column("arrival_bid")
