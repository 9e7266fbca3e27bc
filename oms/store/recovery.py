"""The book of record read in one step at start: a typed ``RecoverySnapshot`` the engines are built from.

It also counts this start (the incarnation of ``oms.exec_ids``): the read commits the new number before it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from sqlalchemy import Engine, select

from domain.enums import Side
from domain.ids import Account, ExecId, OrderId, SessionKey, Symbol, VenueId
from domain.reports import BusinessReject, CancelReject, ClientReport, ExecutionReport, MassCancelReport
from oms.book import GRACE_NS
from oms.recovery import Fill, RecoverySnapshot
from oms.rows import decode_pending
from oms.store import repository
from oms.store.retired import open_orders, retired_names
from oms.store.schema import journal_state
from oms.store.writer import DELIVERED

_REPORT_TYPES: dict[str, type[ClientReport]] = {
    "8": ExecutionReport,
    "9": CancelReject,
    "r": MassCancelReport,
    "j": BusinessReject,
}
_RESTING = ("0", "1", "6", "E")
"""New, Partially filled, Pending cancel, Pending replace: at rest at their venue."""


def recover(
    engine: Engine, now_ns: int, since: Mapping[SessionKey, int], internal_venues: Iterable[VenueId] = ()
) -> RecoverySnapshot:
    """Read what a start needs, and count the start.

    ``since``: per session, when its message store was created (an inbound MsgSeqNum from before belongs to an
    earlier sequence); ``internal_venues``: the venues whose book is rebuilt from this one.
    """
    incarnation = repository.begin_incarnation(engine)
    rows = open_orders(engine, now_ns - GRACE_NS)
    orders = []
    for row in rows:
        order = repository.order_from_row(row)
        order.pending = decode_pending(row["pending"])
        orders.append(order)
    venues = set(internal_venues)
    venue_requests = {
        venue: repository.venue_requests(
            engine, venue, [r["order_id"] for r in rows if r["venue"] == venue and r["status"] in _RESTING]
        )
        for venue in venues
    }
    undelivered = _undelivered(engine)
    return RecoverySnapshot(
        incarnation=incarnation,
        orders=orders,
        executions=[_fill(row) for row in repository.load_executions(engine)],
        last_seq=repository.last_order_seq(engine),
        retired=list(retired_names(engine)),
        controls=repository.load_controls(engine),
        resume={s: seq for s, at in since.items() if (seq := repository.last_inbound_seq(engine, s, at)) is not None},
        undelivered=[report for report, _ in undelivered],
        undelivered_ids=[message_id for _, message_id in undelivered],
        owed=repository.owed_answers(engine),
        venue_requests=venue_requests,
    )


def _fill(row: dict[str, Any]) -> Fill:
    return Fill(
        order_id=OrderId(row["order_id"]),
        venue=VenueId(row["venue"]),
        venue_exec_id=ExecId(row["venue_exec_id"]),
        account=Account(row["account"]),
        symbol=Symbol(row["symbol"]),
        side=Side(row["side"]),
        last_qty=row["last_qty"],
        last_px=row["last_px"],
        commission=row["commission"],
        ts_ns=int(row["ts_ns"]),
    )


def _undelivered(engine: Engine) -> list[tuple[ClientReport, int]]:
    """Reports committed after the last delivery the journal recorded (a crash may have kept them from clients),
    each with its audit row's id."""
    with engine.connect() as conn:
        marker = conn.execute(select(journal_state.c.value).where(journal_state.c.name == DELIVERED)).scalar()
    rows = repository.undelivered_reports(engine, int(marker or 0))
    return [(msgspec.json.decode(r["body"], type=_REPORT_TYPES[r["msg_type"]]), int(r["id"])) for r in rows]
