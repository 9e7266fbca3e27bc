"""The books tell their listener every level change and trade: a model fed only with the drained changes always
equals the book recounted from its resting orders."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.enums import OrdType, Side, TimeInForce
from matching.book import MatchingEngine, OrderBook, SimOrder
from matching.changes import BookChanges, ChangeSet, LevelChange, Print

Levels = dict[tuple[str, Side, Decimal], Decimal]


def _order(oid: str, side: Side, qty: int, price: int | None, tif: TimeInForce = TimeInForce.DAY) -> SimOrder:
    kind = OrdType.LIMIT if price is not None else OrdType.MARKET
    return SimOrder(oid, "X", side, kind, Decimal(qty), None if price is None else Decimal(price), tif, owner="m")


def _recounted(book: OrderBook) -> Levels:
    """The book's levels summed from the orders themselves (not from the totals the book keeps)."""
    levels: Levels = {}
    for side in (book.bids, book.asks):
        for queue in side.levels.values():
            for order in queue:
                assert order.price is not None
                key = (book.symbol, order.side, order.price)
                levels[key] = levels.get(key, Decimal(0)) + order.leaves_qty
    return levels


def _apply(model: Levels, changes: ChangeSet) -> None:
    for change in changes.levels:
        key = (change.symbol, change.side, change.price)
        if change.size:
            model[key] = change.size
        else:
            assert key in model, f"a level that was not there is gone: {change}"
            del model[key]


_SIDES = st.sampled_from([Side.BUY, Side.SELL])
_TIFS = st.sampled_from([TimeInForce.DAY, TimeInForce.IMMEDIATE_OR_CANCEL, TimeInForce.FILL_OR_KILL])
_ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("new"), _SIDES, st.integers(1, 30), st.one_of(st.none(), st.integers(95, 105)), _TIFS),
        st.tuples(st.just("cancel"), st.integers(0, 200)),
        st.tuples(st.just("replace"), st.integers(0, 200), st.integers(1, 40), st.integers(95, 105)),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(_ACTIONS)
def test_changes_when_drained_after_each_command_then_a_model_equals_the_book(actions: list[tuple]) -> None:  # type: ignore[type-arg]
    changes = BookChanges()
    book = MatchingEngine(changes).book("X")
    model: Levels = {}
    orders: list[SimOrder] = []
    for number, action in enumerate(actions):
        trades = []
        if action[0] == "new":
            _, side, qty, price, tif = action
            order = _order(f"o{number}", side, qty, price, tif)
            orders.append(order)
            trades = book.submit(order).trades
        elif orders and action[0] == "cancel":
            book.cancel(orders[action[1] % len(orders)])
        elif orders and action[0] == "replace":
            _, index, qty, price = action
            result = book.replace(orders[index % len(orders)], Decimal(qty), Decimal(price))
            trades = result.trades if result else []

        drained = changes.drain()
        _apply(model, drained)

        assert model == _recounted(book)
        assert drained.trades == [Print("X", t.price, t.qty) for t in trades]
        bids, asks = book.depth()
        assert {("X", Side.BUY, p): s for p, s in bids} | {("X", Side.SELL, p): s for p, s in asks} == model


def test_changes_when_a_sell_takes_two_bid_levels_then_both_levels_and_both_trades() -> None:
    changes = BookChanges()
    book = OrderBook("X", changes)
    book.submit(_order("b1", Side.BUY, 10, 99))
    book.submit(_order("b2", Side.BUY, 10, 100))
    changes.drain()

    book.submit(_order("s1", Side.SELL, 15, 98))

    drained = changes.drain()
    assert drained.levels == [
        LevelChange("X", Side.BUY, Decimal(100), Decimal(0)),
        LevelChange("X", Side.BUY, Decimal(99), Decimal(5)),
    ]
    assert drained.trades == [Print("X", Decimal(100), Decimal(10)), Print("X", Decimal(99), Decimal(5))]
    assert drained.symbols() == {"X"}


def test_changes_when_house_liquidity_is_seeded_then_its_levels_are_told() -> None:
    changes = BookChanges()
    engine = MatchingEngine(changes)

    engine.seed("X", Decimal(100), Decimal(1), 2, Decimal(50))

    sizes = {(c.side, c.price): c.size for c in changes.drain().levels}
    assert sizes == {
        (Side.BUY, Decimal(99)): 50,
        (Side.BUY, Decimal(98)): 50,
        (Side.SELL, Decimal(101)): 50,
        (Side.SELL, Decimal(102)): 50,
    }


def test_changes_when_nothing_changed_then_the_change_set_is_empty() -> None:
    changes = BookChanges()
    MatchingEngine(changes).book("X").cancel(_order("gone", Side.BUY, 1, 100))

    assert not changes.drain()
