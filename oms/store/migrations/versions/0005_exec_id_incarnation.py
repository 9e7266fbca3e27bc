"""orders.reports_sent goes: ExecIDs come from the gateway's incarnation (journal_state), not a per-order count

The count was written with the order's row, one step behind the report that used it, so a crash could hand the
same ExecID to two reports (issue 13). ExecIDs are now ``<order>-<incarnation>-<n>`` (oms.exec_ids); the
incarnation row of ``journal_state`` is created by the first start.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("reports_sent")


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("reports_sent", sa.Integer(), nullable=False, server_default="0"))
