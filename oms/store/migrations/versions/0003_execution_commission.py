"""executions.commission: the fee the venue charged for each fill

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import oms.store.schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executions") as batch_op:
        batch_op.add_column(
            sa.Column("commission", oms.store.schema.Money(precision=38, scale=12), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch_op:
        batch_op.drop_column("commission")
