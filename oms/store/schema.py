"""Tables of the book of record."""

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from domain.bounds import ID_LENGTH, MONEY_PRECISION, MONEY_SCALE, NAME_LENGTH


def money_text(value: Decimal) -> str:
    """A Decimal as SQLite stores it: its exact digits, never an exponent (``oms.store.bulk`` calls it directly)."""
    return format(value, "f")


class Money(TypeDecorator[Decimal]):
    """An exact Decimal: NUMERIC on PostgreSQL, text on SQLite (whose NUMERIC is a float)."""

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the column type per dialect."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(48))
        return dialect.type_descriptor(Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Store text on SQLite, the Decimal elsewhere."""
        if value is None or dialect.name != "sqlite":
            return value
        return money_text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Always read back a Decimal, without trailing zeros beyond what was stored."""
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)


metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("session", String(128), nullable=False),
    Column("cl_ord_id", String(ID_LENGTH), nullable=False),
    Column("orig_cl_ord_id", String(ID_LENGTH), nullable=True),
    Column("account", String(NAME_LENGTH), nullable=False),
    Column("symbol", String(NAME_LENGTH), nullable=False),
    Column("side", String(1), nullable=False),
    Column("ord_type", String(1), nullable=False),
    Column("time_in_force", String(1), nullable=False),
    Column("price", Money, nullable=True),
    Column("order_qty", Money, nullable=False),
    Column("cum_qty", Money, nullable=False),
    Column("leaves_qty", Money, nullable=False),
    Column("avg_px", Money, nullable=False),
    Column("status", String(1), nullable=False),
    Column("venue", String(64), nullable=True),
    Column("venue_cl_ord_id", String(ID_LENGTH), nullable=True),
    Column("venue_order_id", String(ID_LENGTH), nullable=True),
    Column("ord_rej_reason", String(4), nullable=True),
    Column("text", Text, nullable=True),
    Column("requests_sent", Integer, nullable=False),
    Column("pending", Text, nullable=True),
    Column("created_ns", BigInteger, nullable=False),
    Column("updated_ns", BigInteger, nullable=False),
    # The consolidated bid and offer when the order was booked (the arrival price, issue 15): NULL without market data.
    Column("arrival_bid", Money, nullable=True),
    Column("arrival_ask", Money, nullable=True),
    # TCA (issue 18, migration 0011): the sender's decision price where it gave one, and why the router sent the
    # order where it went (e.g. "adaptive: POOL 0.8 bps < VENUE 2.4 bps (n=120/115)").
    Column("decision_px", Money, nullable=True),
    Column("route_reason", Text, nullable=True),
)
# (session, ClOrdID): a client's question about a retired order (oms.store.retired). No index on venue_cl_ord_id:
# nothing reads one, and each index costs every commit that writes an order a page (migration 0012, issue 19).
Index("ix_orders_session_cl_ord_id", orders.c.session, orders.c.cl_ord_id)

executions = Table(
    "executions",
    metadata,
    Column("exec_id", String(ID_LENGTH), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("venue", String(64), nullable=False),
    Column("venue_exec_id", String(ID_LENGTH), nullable=False),
    Column("account", String(NAME_LENGTH), nullable=False),
    Column("symbol", String(NAME_LENGTH), nullable=False),
    Column("side", String(1), nullable=False),
    Column("last_qty", Money, nullable=False),
    Column("last_px", Money, nullable=False),
    Column("commission", Money, nullable=False, server_default="0"),
    Column("ts_ns", BigInteger, nullable=False),
    # The consolidated bid and offer when the fill was booked (TCA, migration 0011): NULL without market data.
    Column("bid", Money, nullable=True),
    Column("ask", Money, nullable=True),
    # An execution counts once, however often the venue resends it (PossDup) or a log is replayed.
    UniqueConstraint("venue", "venue_exec_id", name="uq_executions_venue_exec_id"),
)
Index("ix_executions_ts_ns", executions.c.ts_ns)  # the dashboard's recent fills (migration 0009)

mids = Table(
    "mids",
    metadata,
    # The consolidated mid per symbol over time (TCA's markouts, migration 0011), coalesced to a few rows a second
    # per symbol: a row holds from its ts_ns until the symbol's next row (piecewise constant).
    Column("symbol", String(NAME_LENGTH), primary_key=True),
    Column("ts_ns", BigInteger, primary_key=True),
    Column("mid", Money, nullable=False),
)

positions = Table(
    "positions",
    metadata,
    Column("account", String(NAME_LENGTH), primary_key=True),
    Column("symbol", String(NAME_LENGTH), primary_key=True),
    Column("qty", Money, nullable=False),
    Column("avg_cost", Money, nullable=False),
    Column("realized_pnl", Money, nullable=False),
    Column("fees", Money, nullable=False),
    Column("mark", Money, nullable=True),
    Column("bought_qty", Money, nullable=False),
    Column("sold_qty", Money, nullable=False),
    Column("updated_ns", BigInteger, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("ts_ns", BigInteger, nullable=False),
    Column("direction", String(3), nullable=False, comment="in (received) or out (sent)"),
    Column("session", String(128), nullable=False),
    Column("msg_type", String(4), nullable=False),
    # MsgSeqNum (34) of a message received (its row commits with or after everything the message caused) or sent
    # (as its session sent it); NULL on the JSON of a report or request the book decided to send (written before
    # the send: a restart sends again from it). So an outbound row with a MsgSeqNum is FIX text as it went out.
    Column("seq", BigInteger, nullable=True),
    Column("order_id", String(64), nullable=True),
    Column("cl_ord_id", String(ID_LENGTH), nullable=True),
    # The FIX text of a message received or sent (SOH shown as |; oms.store.sent), or the JSON of a report or
    # request the book decided to send.
    Column("body", Text, nullable=False),
    # On the FIX text of a report as sent: the id of its JSON row (a report sent again after a restart has two).
    Column("sent_from", BigInteger, nullable=True),
)
Index("ix_messages_order_id", messages.c.order_id)
RECEIVED = messages.c.direction == literal_column("'in'")
"""A received message: the condition of the partial index below, spelled as a literal so that a query repeating
it uses the index (SQLite only matches an index's WHERE term for term, and a bound parameter matches nothing)."""
# Only received messages: the resume point after a crash is read from them (repository.last_inbound_seq). An
# outbound row (the JSON of a report, the text it was sent as) would only make the index longer and every insert
# dearer: about 4 us a row on SQLite, on the order path's commit (issue 16).
Index("ix_messages_session_seq", messages.c.session, messages.c.seq, sqlite_where=RECEIVED, postgresql_where=RECEIVED)

journal_state = Table(
    "journal_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
"""Named counters of the journal: ``delivered_through`` (every outbound message row up to this id has been handed
to its session; a restart re-sends the rest with PossResend=Y) and ``incarnation`` (the gateway's starts on this
book: part of every ExecID, see oms.exec_ids)."""

risk_controls = Table(
    "risk_controls",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("scope", String(16), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(32), nullable=False),
    Column("who", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("ts_ns", BigInteger, nullable=False),
)
"""The operator controls in force (trading states, kill switches): restored at start."""

risk_audit = Table(
    "risk_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("ts_ns", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("key", String(128), nullable=False),
    Column("value", Text, nullable=False),
    Column("who", String(128), nullable=False),
    Column("reason", Text, nullable=False),
)
"""Every change of a control or a limit: who, when, why."""

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("ts_ns", BigInteger, nullable=False),
    Column("session", String(128), nullable=True, comment="where the message that caused it came from"),
    Column("seq", BigInteger, nullable=True, comment="its MsgSeqNum (34)"),
    Column("msg_type", String(4), nullable=True),
    Column("cl_ord_id", String(ID_LENGTH), nullable=True, comment="its ClOrdID (11), as the audit trail shows it"),
    Column("order_ids", Text, nullable=False, comment="JSON list of the orders its changes were about"),
    Column("error", Text, nullable=False, comment="what the database or the encoder said"),
    Column("raw", LargeBinary, nullable=True, comment="the received message, byte for byte"),
    Column("detail", Text, nullable=False, comment="the changes that could not be recorded, escaped"),
)
"""Changes the book of record refused (issue 12): set aside so the journal goes on with everything else."""

pending_lookups = Table(
    "pending_lookups",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("session", String(128), nullable=False),
    Column("kind", String(16), nullable=False, comment="query, cancel or replace"),
    Column("command", Text, nullable=False, comment="the request as JSON, to answer it again after a restart"),
    Column("ts_ns", BigInteger, nullable=False),
)
"""Requests about retired orders whose answer waits for a look-up in the book: committed with the request's
receipt, deleted with its answer, so a crash in between cannot lose the answer (a restart asks again)."""
