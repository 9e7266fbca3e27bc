"""messages.sent_from, and an outbound row with a MsgSeqNum is the FIX text of a message as its session sent it

The audit trail kept what the gateway received as FIX text but what it sent as the JSON of its own reports and
requests (issue 16). The JSON rows stay (written before the send: a restart sends undelivered reports again from
them; their ``seq`` is NULL). From this revision the text each went out as, header and trailer included, is a row
of its own with the MsgSeqNum (34) it was sent with; a report's links to its JSON row by ``sent_from``. Rows
written before this revision are unchanged: an outbound row there has no MsgSeqNum and is shown as JSON, as before.

The index on (session, seq) now holds received messages only (the resume point is read from them): recording the
text of every sent message must not make the order path's commit dearer, and the outbound rows had no use for it.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


_RECEIVED = sa.text("direction = 'in'")


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("sent_from", sa.BigInteger(), nullable=True))
    op.drop_index("ix_messages_session_seq", table_name="messages")
    op.create_index(
        "ix_messages_session_seq",
        "messages",
        ["session", "seq"],
        sqlite_where=_RECEIVED,
        postgresql_where=_RECEIVED,
    )


def downgrade() -> None:
    op.execute("DELETE FROM messages WHERE direction = 'out' AND seq IS NOT NULL")  # text the old code cannot tell
    op.drop_index("ix_messages_session_seq", table_name="messages")
    op.create_index("ix_messages_session_seq", "messages", ["session", "seq"])
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("sent_from")
