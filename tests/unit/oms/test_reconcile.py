"""Reconciling with a venue after a restart (``oms.recovery``): a cancel or replace committed as pending whose send to
the venue was lost with the crash goes to the venue again, whatever the venue says of the order, so that the client's
request is always answered (FIX 4.4 Vol. 4: a 35=F or 35=G gets a 35=8 or a 35=9).

Seen in tests/integration/test_crash_recovery.py (seed 7, under load): the gateway died between committing a cancel
(150=6 to the client) and sending it; the order filled at the venue meanwhile; its status answer (150=I, 39=2)
named the order's ClOrdID before the cancel, and nothing was sent, so the cancel stayed pending for ever.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from domain.commands import CancelAtVenue, CancelOrder, QueryAtVenue, ReconcileVenue
from domain.enums import OrdStatus, Side
from domain.events import OrderStatusReported
from domain.ids import ClOrdId, ExecId, Symbol, VenueId
from domain.reports import CancelReject
from tests.factories import cancel_rejected, fill
from tests.unit.oms.test_exec_ids import SESSION, Node

VENUE = VenueId("VENUE")


def _restarted_with_cancel_pending() -> tuple[Node, list[object]]:
    """O1 (buy 100) working; the client's cancel C2 committed as pending (O1.1 at the venue); then a restart."""
    before = Node()
    before.working()
    before.oms.execute(
        CancelOrder(
            session=SESSION,
            cl_ord_id=ClOrdId("C2"),
            orig_cl_ord_id=ClOrdId("C1"),
            symbol=Symbol("MSFT"),
            side=Side.BUY,
            ts_received_ns=3,
        )
    )
    after = before.restart()
    return after, after.sent


def _status(ord_status: OrdStatus, cum_qty: str) -> OrderStatusReported:
    return OrderStatusReported(
        venue=VENUE,
        venue_cl_ord_id=ClOrdId("O1"),  # the order's ClOrdID before the cancel: the venue never saw O1.1
        venue_order_id="V1",
        venue_exec_id=ExecId("V-STATUS"),
        ts_ns=5,
        ord_status=ord_status,
        cum_qty=Decimal(cum_qty),
    )


@pytest.mark.parametrize(
    ("ord_status", "cum_qty"),
    [(OrdStatus.NEW, "0"), (OrdStatus.PARTIALLY_FILLED, "40"), (OrdStatus.FILLED, "100"), (OrdStatus.CANCELED, "0")],
)
def test_on_status_when_cancel_never_reached_venue_then_sent_again_whatever_the_order_state(
    ord_status: OrdStatus, cum_qty: str
) -> None:
    node, sent = _restarted_with_cancel_pending()

    node.oms.execute(ReconcileVenue(venue=VENUE))
    node.oms.process(_status(ord_status, cum_qty))

    assert [type(c) for c in sent] == [QueryAtVenue, CancelAtVenue]
    assert sent[1].venue_cl_ord_id == ClOrdId("O1.1")


def test_on_status_when_filled_while_cancel_lost_then_venue_refusal_answers_the_client_with_39_2() -> None:
    # Arrange: the fill the venue resends on reconnect, then its status answer
    node, sent = _restarted_with_cancel_pending()
    node.oms.execute(ReconcileVenue(venue=VENUE))
    node.oms.process(fill("100", "100", venue_exec_id=ExecId("V-F1"), poss_dup=True))
    node.oms.process(_status(OrdStatus.FILLED, "100"))

    # Act: the venue refuses the cancel sent again (too late: the order is filled)
    node.oms.process(cancel_rejected(venue=VENUE, venue_cl_ord_id=ClOrdId("O1.1")))

    # Assert
    answer = node.journal.reports[-1]
    assert isinstance(answer, CancelReject)
    assert (answer.cl_ord_id, answer.ord_status) == (ClOrdId("C2"), OrdStatus.FILLED)
    assert isinstance(sent[-1], CancelAtVenue)


def test_on_status_when_venue_took_the_cancel_then_nothing_sent_again() -> None:
    node, sent = _restarted_with_cancel_pending()

    node.oms.execute(ReconcileVenue(venue=VENUE))
    node.oms.process(msgspec.structs.replace(_status(OrdStatus.CANCELED, "0"), venue_cl_ord_id=ClOrdId("O1.1")))

    assert [type(c) for c in sent] == [QueryAtVenue]
