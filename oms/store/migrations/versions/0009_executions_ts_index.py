"""ix_executions_ts_ns: the newest executions found by an index, not a scan

The operator's dashboard shows the recent fills, newest first, and asks for them every half second (issue 16):
without an index that is a sort of the whole table each time. ts_ns only grows, so each insert lands at the
index's right edge.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_executions_ts_ns", "executions", ["ts_ns"])


def downgrade() -> None:
    op.drop_index("ix_executions_ts_ns", table_name="executions")
