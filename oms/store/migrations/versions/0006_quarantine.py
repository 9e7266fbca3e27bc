"""quarantine: changes the book of record refused, set aside with the message that caused them (issue 12)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("session", sa.String(length=128), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("msg_type", sa.String(length=4), nullable=True),
        sa.Column("cl_ord_id", sa.String(length=128), nullable=True),
        sa.Column("order_ids", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("quarantine")
