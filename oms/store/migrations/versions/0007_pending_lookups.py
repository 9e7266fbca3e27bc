"""pending_lookups: requests about retired orders whose answer is owed (committed with their receipt)

A status request, cancel or replace about a retired order is answered after a look-up in the book, after the
commit of its receipt. A crash in between lost the answer for good: the receipt was committed, so the client was
never asked to resend. The owed answer is now durable with the receipt and deleted with the answer.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_lookups",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("session", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("pending_lookups")
