"""The outbound audit trail on every database: what a session sent is recorded as its FIX text, linked to the report
it was sent from, with the delivery; a restart still sends again from the JSON only; the order's trail shows the
text in place of the JSON; a book at the previous revision upgrades with its messages kept (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import Engine, select

from domain.audit import audit_bytes, audit_text
from domain.clock import TestClock
from domain.enums import ExecType
from domain.ids import ExecId, SessionKey
from domain.reports import ClientReport, ExecutionReport
from oms.store import repository
from oms.store.database import connect, current_revision, head_revision, open_database, upgrade
from oms.store.journal import Journal
from oms.store.schema import journal_state, messages
from oms.store.writer import DELIVERED
from tests.contract.test_book_store import order_row
from tests.factories import execution_report

CLIENT = SessionKey("FIX.4.4:FIXGW->CLIENT1")
VENUE = SessionKey("FIX.4.4:FIXGW->VENUE")
BEFORE = "0009"
"""The revision before ``messages.sent_from``."""


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    db = open_database(database_url)
    yield db
    db.dispose()


def _report(exec_id: str, exec_type: ExecType, session: SessionKey = CLIENT) -> ExecutionReport:
    return execution_report(exec_id=ExecId(exec_id), exec_type=exec_type, session=session)


def _wire(report: ExecutionReport, seq: int) -> str:
    """The report as a session would have sent it (header, trailer)."""
    return (
        f"8=FIX.4.4\x019=99\x0135=8\x0134={seq}\x0149=FIXGW\x0152=20261202-11:11:55.308\x0156=CLIENT1\x01"
        f"11={report.cl_ord_id}\x0117={report.exec_id}\x0137={report.order_id}\x01150={report.exec_type.value}\x01"
        "10=123\x01"
    )


def _json_row(ts_ns: int, session: str, msg_type: str, cl_ord_id: str, body: str) -> dict[str, object]:
    """An outbound ``messages`` row: what the book decided to send, as JSON."""
    return {
        "ts_ns": ts_ns,
        "direction": "out",
        "session": session,
        "msg_type": msg_type,
        "seq": None,
        "order_id": "O1",
        "cl_ord_id": cl_ord_id,
        "body": body,
        "sent_from": None,
    }


class Session:
    """A client session for the journal to deliver to: numbers what it sends, and sends nothing to ``refuse``."""

    def __init__(self, refuse: str = "") -> None:
        self.seq = 1
        self.refuse = refuse

    def deliver(self, reports: list[ClientReport]) -> Sequence[str | None]:
        texts: list[str | None] = []
        for report in reports:
            if report.session == self.refuse:
                texts.append(None)
                continue
            self.seq += 1
            texts.append(_wire(report, self.seq))  # type: ignore[arg-type]
        return texts


def test_journal_when_reports_delivered_then_each_text_recorded_against_its_row_with_the_delivery(
    engine: Engine,
) -> None:
    session = Session(refuse="risk")
    journal = Journal(engine, deliver=session.deliver, clock=TestClock(start_ns=5_000))
    journal.start()
    journal.append(order=order_row("O1"), report=_report("E1", ExecType.NEW))
    journal.append(report=_report("E2", ExecType.TRADE))
    journal.append(report=_report("E3", ExecType.NEW, session=SessionKey("risk")))  # no client: never sent
    assert journal.flush()
    journal.stop()  # a clean stop records the last deliveries

    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(messages).order_by(messages.c.id))]
        delivered = conn.execute(select(journal_state.c.value).where(journal_state.c.name == DELIVERED)).scalar()
    decided, sent = [r for r in rows if r["seq"] is None], [r for r in rows if r["seq"] is not None]
    assert [r["body"].startswith("{") for r in decided] == [True, True, True]  # the JSON a restart would send again
    assert [(s["sent_from"], s["seq"], s["msg_type"], s["order_id"], s["cl_ord_id"]) for s in sent] == [
        (decided[0]["id"], 2, "8", "O1", "CO1"),
        (decided[1]["id"], 3, "8", "O1", "CO1"),
    ]
    assert [s["body"] for s in sent] == [
        audit_text(_wire(_report("E1", ExecType.NEW), 2)),
        audit_text(_wire(_report("E2", ExecType.TRADE), 3)),
    ]
    assert all(s["session"] == CLIENT and s["direction"] == "out" and s["ts_ns"] >= 5_000 for s in sent)
    assert delivered == decided[-1]["id"]
    assert [r["id"] for r in repository.undelivered_reports(engine, 0)] == [r["id"] for r in decided]


def test_order_messages_when_sent_then_text_in_place_of_json_and_a_resend_shows_twice(engine: Engine) -> None:
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    journal.start()
    request = order_row("O1") | {"requests_sent": 1}
    journal.append(order=request, report=_report("E1", ExecType.NEW))
    journal.append(audit=_json_row(2, "VENUE", "D", "O1", '{"order_id": "O1"}'))  # the order to the venue
    assert journal.flush()
    [report_id] = [m["id"] for m in repository.order_messages(engine, request) if m["msg_type"] == "8"]
    nos = "8=FIX.4.4\x019=9\x0135=D\x0134=5\x0149=FIXGW\x0156=VENUE\x0111=O1\x0155=MSFT\x0110=001\x01"
    status = "8=FIX.4.4\x019=9\x0135=H\x0134=6\x0149=FIXGW\x0156=VENUE\x0111=O1\x0110=002\x01"
    journal.record_sent(VENUE, nos, 10, order_id="O1")
    journal.record_sent(CLIENT, _wire(_report("E1", ExecType.NEW), 7), 11, order_id="O1", sent_from=report_id)
    journal.record_sent(VENUE, status, 12, order_id="O1")  # a status request: no JSON row of its own
    resent = _wire(_report("E1", ExecType.NEW), 9).replace("\x0134=9\x01", "\x0134=9\x0197=Y\x01")
    journal.record_sent(CLIENT, resent, 13, order_id="O1", sent_from=report_id)  # again, after a restart
    journal.stop()

    trail = repository.order_messages(engine, request)

    assert [(m["ts_ns"], m["session"], m["msg_type"], m["seq"], m["sent_from"]) for m in trail] == [
        (10, VENUE, "D", 5, None),
        (11, CLIENT, "8", 7, report_id),
        (12, VENUE, "H", 6, None),
        (13, CLIENT, "8", 9, report_id),
    ]
    assert [audit_bytes(m["body"]) for m in trail] == [
        t.encode() for t in (nos, _wire(_report("E1", ExecType.NEW), 7), status, resent)
    ]
    assert all(set(m) == {c.name for c in messages.columns} and m["direction"] == "out" for m in trail)


def test_record_sent_when_text_holds_nul_and_bytes_not_utf8_then_stored_escaped_and_read_back_whole(
    engine: Engine,
) -> None:
    raw = "8=FIX.4.4\x019=9\x0135=8\x0134=4\x0111=C\x00|\\\udcff\x0158=a|b\x0110=003\x01"  # a peer's garbage echoed
    journal = Journal(engine, deliver=lambda _: None, clock=TestClock())
    journal.start()
    journal.record_sent(CLIENT, raw, 1, order_id="O9")
    journal.stop()

    with engine.connect() as conn:
        row = conn.execute(select(messages)).one()._mapping

    assert (row["seq"], row["msg_type"], row["cl_ord_id"]) == (4, "8", "C\\x00\\x7c\\x5c\\xff")
    assert audit_bytes(row["body"]) == raw.encode("utf-8", "surrogateescape")


def test_upgrade_when_book_at_previous_revision_then_messages_kept_and_shown_as_before(database_url: str) -> None:
    engine = connect(database_url)
    upgrade(engine, BEFORE)
    row = {"id": 1} | _json_row(1, CLIENT, "8", "CO1", '{"exec_id": "E1"}')
    del row["sent_from"]  # the columns a book at 0008 has
    with engine.begin() as conn:
        conn.execute(messages.insert().values(row))

    upgrade(engine)

    assert current_revision(engine) == head_revision()
    assert repository.order_messages(engine, order_row("O1") | {"session": CLIENT}) == [row | {"sent_from": None}]
    assert [r["id"] for r in repository.undelivered_reports(engine, 0)] == [1]
    engine.dispose()
