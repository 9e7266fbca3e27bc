"""Drop ix_orders_venue_cl_ord_id: no query reads it, and every order's commit wrote it

Every journal commit that books or changes an order writes a page of each of the orders table's indexes (issue
19: a window-1 commit wrote 10-18 WAL frames, most of its cost). Nothing looks orders up by the ClOrdID we sent the
venue: a venue's report finds its order in memory (``oms.book``), and the book's queries go by OrderID, ``seq``,
or (session, ClOrdID), which keep their indexes. One frame fewer per commit.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_orders_venue_cl_ord_id", table_name="orders")


def downgrade() -> None:
    op.create_index("ix_orders_venue_cl_ord_id", "orders", ["venue_cl_ord_id"])
