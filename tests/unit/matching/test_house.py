"""The house ladder follows the fair value: it never trades when it moves, keeps the queue place of a level that
stays whole, refills a level the takers ate into, and leaves out a level a member's order stands in the way of."""

from __future__ import annotations

from decimal import Decimal

from domain.enums import OrdType, Side
from matching.book import MatchingEngine, SimOrder
from matching.changes import BookChanges
from matching.house import HouseLadder

TICK, DEPTH, QTY = Decimal("0.01"), 3, Decimal(500)
Levels = list[tuple[Decimal, Decimal]]


def ladder_around(fair: str) -> tuple[Levels, Levels]:
    centre = Decimal(fair)
    return (
        [(centre - TICK * n, QTY) for n in range(1, DEPTH + 1)],
        [(centre + TICK * n, QTY) for n in range(1, DEPTH + 1)],
    )


def seeded() -> tuple[MatchingEngine, BookChanges, HouseLadder]:
    changes = BookChanges()
    engine = MatchingEngine(changes)
    engine.seed("MSFT", Decimal("100.00"), TICK, DEPTH, QTY)
    return engine, changes, HouseLadder(engine.book("MSFT"), TICK, DEPTH, QTY)


def member(side: Side, qty: int, price: str) -> SimOrder:
    return SimOrder("M1", "MSFT", side, OrdType.LIMIT, Decimal(qty), Decimal(price), owner="member")


def test_ladder_when_built_then_it_adopts_the_seeded_house_orders() -> None:
    engine, _, ladder = seeded()
    assert len(ladder.orders) == 2 * DEPTH
    assert set(ladder.orders) == set(ladder.levels(Decimal("100.00")))
    assert engine.book("MSFT").depth() == ladder_around("100.00")


def test_ladder_when_fair_value_moves_then_book_is_the_ladder_around_it_and_nothing_traded() -> None:
    engine, changes, ladder = seeded()
    changes.drain()
    for fair in ("100.02", "100.10", "99.95", "99.96", "100.00"):  # by a tick, through the whole ladder, back
        ladder.move_to(Decimal(fair))
        assert engine.book("MSFT").depth() == ladder_around(fair), fair
        assert changes.drain().trades == []


def test_ladder_when_level_stays_whole_then_its_order_keeps_its_place() -> None:
    engine, _, ladder = seeded()
    book = engine.book("MSFT")
    kept = ladder.orders[Side.BUY, Decimal("99.98")]
    book.rest(member(Side.BUY, 100, "99.98"))  # behind the house at 99.98

    ladder.move_to(Decimal("100.01"))

    assert ladder.orders[Side.BUY, Decimal("99.98")] is kept
    assert [o.owner for o in book.resting(Side.BUY) if o.price == Decimal("99.98")] == [None, "member"]


def test_ladder_when_level_partly_taken_then_refilled_behind_the_members() -> None:
    engine, _, ladder = seeded()
    book = engine.book("MSFT")
    book.rest(member(Side.SELL, 100, "100.01"))
    book.submit(SimOrder("T", "MSFT", Side.BUY, OrdType.MARKET, Decimal(200), None))  # house first: 300 left

    ladder.move_to(Decimal("100.00"))

    at_touch = [(o.owner, o.leaves_qty) for o in book.resting(Side.SELL) if o.price == Decimal("100.01")]
    assert at_touch == [("member", 100), (None, QTY)]


def test_ladder_when_member_quotes_through_the_fair_value_then_house_level_left_out_without_trading() -> None:
    engine, changes, ladder = seeded()
    book = engine.book("MSFT")
    book.rest(member(Side.BUY, 100, "100.00"))  # a bid at the fair value: best bid, inside the spread
    changes.drain()

    ladder.move_to(Decimal("99.99"))  # the house's best ask would be 100.00, on the member's bid

    assert changes.drain().trades == [] and ladder.left_out == 1
    assert book.depth()[1] == ladder_around("99.99")[1][1:]
    assert book.depth()[0][0] == (Decimal("100.00"), Decimal(100))
