"""The OMS's counts for monitoring follow what happens to orders: booked, final outcome, fills, denials, venue
refusals (``oms.counts``, read by ``/metrics``)."""

from __future__ import annotations

from domain.enums import OrdRejReason
from domain.ids import ClOrdId, OrderId, SessionKey, VenueId
from domain.verdicts import Denial
from tests.factories import accepted, cancel_rejected, canceled, fill, new_order, rejected
from tests.unit.oms.test_engine import Risk, routed, setup
from tests.unit.oms.test_risk_hooks import cancel, replace

CLIENT = SessionKey("FIX.4.4:FIXGW->CLIENT1")
VENUE = VenueId("VENUE")


def test_counts_when_order_filled_in_two_fills_then_one_booked_two_fills_one_filled_outcome() -> None:
    oms, _, _ = setup()

    oms.execute(new_order(order_id=None))
    routed(oms)
    oms.process(accepted())
    oms.process(fill("40", "100", venue_exec_id="E2"))
    oms.process(fill("60", "100", venue_exec_id="E3"))

    assert oms.counts.booked == {CLIENT: 1}
    assert oms.counts.fills == {VENUE: 2}
    assert oms.counts.outcomes == {(CLIENT, "filled"): 1}
    assert not oms.counts.denials and not oms.counts.venue_rejects


def test_counts_when_risk_denies_then_outcome_denied_and_denial_counted_by_check() -> None:
    risk = Risk()
    risk.deny = Denial(OrdRejReason.ORDER_EXCEEDS_LIMIT, "too big", check="max_order_qty")
    oms, _, _ = setup(risk)

    oms.execute(new_order(order_id=None))

    assert oms.counts.outcomes == {(CLIENT, "denied"): 1}
    assert oms.counts.denials == {"max_order_qty": 1}


def test_counts_when_message_throttled_then_denial_counted_and_nothing_booked() -> None:
    risk = Risk()
    risk.refuse = Denial(OrdRejReason.OTHER, "slow down", check="session_message_rate")
    oms, _, _ = setup(risk)

    oms.execute(new_order(order_id=None))

    assert oms.counts.denials == {"session_message_rate": 1}
    assert not oms.counts.booked and not oms.counts.outcomes


def test_counts_when_venue_rejects_then_outcome_rejected_and_venue_reject_counted() -> None:
    oms, _, _ = setup()

    oms.execute(new_order(order_id=None))
    routed(oms)
    oms.process(rejected())

    assert oms.counts.outcomes == {(CLIENT, "rejected"): 1}
    assert oms.counts.venue_rejects == {VENUE: 1}


def test_counts_when_canceled_then_a_late_fill_then_one_outcome_canceled_and_the_fill_counted() -> None:
    oms, _, _ = setup()
    oms.execute(new_order(order_id=None))
    routed(oms)
    oms.process(accepted())

    oms.process(canceled(venue_exec_id="E2"))
    oms.process(fill("10", "100", venue_exec_id="E3"))  # a late fill (Appendix D J.1.b): the order stays canceled

    assert oms.counts.outcomes == {(CLIENT, "canceled"): 1}
    assert oms.counts.fills == {VENUE: 1}


def test_counts_when_risk_denies_a_replace_then_denial_counted_and_the_order_keeps_working() -> None:
    risk = Risk()
    oms, _, _ = setup(risk)
    oms.execute(new_order(order_id=None))
    routed(oms)
    oms.process(accepted())
    risk.deny = Denial(OrdRejReason.ORDER_EXCEEDS_LIMIT, "too big", check="position_limit")

    oms.execute(replace())

    assert oms.counts.denials == {"position_limit": 1}
    assert not oms.counts.outcomes


def test_counts_when_venue_refuses_a_cancel_then_cancel_reject_counted_and_no_outcome() -> None:
    oms, _, _ = setup()
    oms.execute(new_order(order_id=None))
    routed(oms)
    oms.process(accepted())
    oms.execute(cancel())

    oms.process(cancel_rejected(venue_cl_ord_id=ClOrdId("O1.1")))

    assert oms.counts.cancel_rejects == {VENUE: 1}
    assert not oms.counts.outcomes
    assert oms.book.by_id[OrderId("O1")].pending is None
