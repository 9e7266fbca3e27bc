"""A venue's behaviour: seeded rejects, fees as FIX states them, adverse moves; and the exchange applying them."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from domain.clock import TestClock
from domain.enums import CommType, ExecType, OrdRejReason, OrdStatus, Side
from domain.events import OrderFilled
from domain.ids import ClOrdId, SessionKey, VenueId
from domain.reports import ExecutionReport
from ems.venues.reports import venue_event
from matching.behaviour import Behaviour, VenueBehaviour
from matching.book import MatchingEngine
from matching.exchange import Exchange, VenueReport
from tests.factories import new_order

MEMBER = SessionKey("FIX.4.4:VENUE->FIXGW")
TICK = Decimal("0.01")


def draws(behaviour: VenueBehaviour, n: int) -> list[bool]:
    return [behaviour.rejects_new_order() for _ in range(n)]


def test_rejects_when_same_seed_then_same_rejects_and_about_the_ratio() -> None:
    first = draws(VenueBehaviour(Behaviour(reject_ratio=0.2), seed=42), 1000)
    second = draws(VenueBehaviour(Behaviour(reject_ratio=0.2), seed=42), 1000)
    other = draws(VenueBehaviour(Behaviour(reject_ratio=0.2), seed=43), 1000)

    assert first == second
    assert first != other
    assert 150 <= sum(first) <= 250


@pytest.mark.parametrize(("ratio", "expected"), [(0.0, 0), (1.0, 100)])
def test_rejects_when_ratio_is_0_or_1_then_none_or_all(ratio: float, expected: int) -> None:
    assert sum(draws(VenueBehaviour(Behaviour(reject_ratio=ratio)), 100)) == expected


def test_rejects_when_ratio_changes_mid_run_then_later_orders_meet_the_same_draws() -> None:
    steady = VenueBehaviour(Behaviour(reject_ratio=0.5), seed=7)
    swapped = VenueBehaviour(Behaviour(reject_ratio=0.0), seed=7)
    draws(steady, 30)
    assert sum(draws(swapped, 30)) == 0  # ratio 0 still draws, one number per order

    swapped.set(Behaviour(reject_ratio=0.5))

    assert draws(steady, 50) == draws(swapped, 50)


@pytest.mark.parametrize(
    ("behaviour", "commission", "comm_type", "money"),
    [
        (Behaviour(fee_per_share=Decimal("0.002")), Decimal("0.002"), CommType.PER_UNIT, Decimal("0.6")),
        (Behaviour(fee_bps=Decimal("0.5")), Decimal("0.005"), CommType.PERCENT, Decimal("1.5")),
        (
            Behaviour(fee_per_share=Decimal("0.002"), fee_bps=Decimal("0.5")),
            Decimal("2.1"),
            CommType.ABSOLUTE,
            Decimal("2.1"),
        ),
    ],
)
def test_commission_when_fee_configured_then_commission_and_comm_type_give_the_fee_in_money(
    behaviour: Behaviour, commission: Decimal, comm_type: CommType, money: Decimal
) -> None:
    venue = VenueBehaviour(behaviour)

    stated = venue.commission(Decimal(300), Decimal(100))

    assert stated == (commission, comm_type)
    report = fill_report(commission=commission, comm_type=comm_type)
    assert report.fee() == money == venue.counters.fees


def test_commission_when_no_fee_then_none() -> None:
    assert VenueBehaviour().commission(Decimal(300), Decimal(100)) is None


@pytest.mark.parametrize(
    ("bps", "net", "move"),
    [("2", "100", "-0.02"), ("2", "-100", "0.02"), ("0.1", "100", "-0.01"), ("0", "100", "0"), ("2", "0", "0")],
)
def test_adverse_move_when_members_bought_then_down_sold_then_up_at_least_a_tick(bps: str, net: str, move: str) -> None:
    behaviour = VenueBehaviour(Behaviour(adverse_bps=Decimal(bps)))

    assert behaviour.adverse_move(Decimal(net), Decimal("100.00"), TICK) == Decimal(move)


def exchange(behaviour: Behaviour, seed: int = 1) -> tuple[Exchange, list[VenueReport]]:
    reports: list[VenueReport] = []
    engine = MatchingEngine()
    engine.seed("MSFT", Decimal("100.00"), TICK, 3, Decimal(500))
    return Exchange(TestClock(1), engine, ["MSFT"], reports.append, behaviour=VenueBehaviour(behaviour, seed)), reports


def test_exchange_when_reject_ratio_rejects_then_150_8_39_8_103_99_and_text_names_the_ratio() -> None:
    venue, reports = exchange(Behaviour(reject_ratio=1.0))

    venue.execute(new_order(session=MEMBER, cl_ord_id=ClOrdId("R1"), price=Decimal("100.01")))

    [report] = reports
    assert isinstance(report, ExecutionReport)
    assert (report.exec_type, report.ord_status, report.ord_rej_reason) == (
        ExecType.REJECTED,
        OrdStatus.REJECTED,
        OrdRejReason.OTHER,
    )
    assert report.text == "simulated reject: this venue's reject_ratio is 1"
    assert venue.engine.book("MSFT").depth()[1][0] == (Decimal("100.01"), Decimal(500))  # nothing traded


def test_exchange_when_invalid_order_then_its_own_reject_and_no_draw() -> None:
    venue, reports = exchange(Behaviour(reject_ratio=1.0))

    venue.execute(new_order(session=MEMBER, cl_ord_id=ClOrdId("R1"), symbol="IBM"))

    assert isinstance(reports[0], ExecutionReport) and reports[0].ord_rej_reason is OrdRejReason.UNKNOWN_SYMBOL
    assert venue.behaviour is not None and venue.behaviour.counters.drawn == 0


def test_exchange_when_fee_then_each_fill_carries_it_and_the_event_books_it_in_money() -> None:
    venue, reports = exchange(Behaviour(fee_bps=Decimal(1)))

    venue.execute(new_order(session=MEMBER, cl_ord_id=ClOrdId("B1"), order_qty=Decimal(700), price=Decimal("100.02")))

    fills = [r for r in reports if isinstance(r, ExecutionReport) and r.exec_type is ExecType.TRADE]
    assert [(f.last_qty, f.commission, f.comm_type) for f in fills] == [
        (500, Decimal("0.01"), CommType.PERCENT),
        (200, Decimal("0.01"), CommType.PERCENT),
    ]
    events = [venue_event(VenueId("POOL"), f, TestClock(1)) for f in fills]
    assert [e.commission for e in events if isinstance(e, OrderFilled)] == [Decimal("5.0005"), Decimal("2.0004")]


def test_exchange_when_members_trade_then_net_fills_by_symbol_until_drained() -> None:
    venue, _ = exchange(Behaviour())

    venue.execute(new_order(session=MEMBER, cl_ord_id=ClOrdId("B1"), order_qty=Decimal(300), price=Decimal("100.01")))
    venue.execute(new_order(session=MEMBER, cl_ord_id=ClOrdId("S1"), side=Side.SELL, price=Decimal("99.99")))

    assert venue.drain_member_fills() == {"MSFT": Decimal(200)}
    assert venue.drain_member_fills() == {}


def fill_report(*, commission: Decimal, comm_type: CommType) -> ExecutionReport:
    venue, reports = exchange(Behaviour())
    venue.execute(new_order(session=MEMBER, cl_ord_id=ClOrdId("B1"), order_qty=Decimal(300), price=Decimal("100.01")))
    [fill] = [r for r in reports if isinstance(r, ExecutionReport) and r.exec_type is ExecType.TRADE]
    assert fill.last_px == Decimal("100.01")
    return msgspec.structs.replace(fill, commission=commission, comm_type=comm_type, last_px=Decimal(100))
