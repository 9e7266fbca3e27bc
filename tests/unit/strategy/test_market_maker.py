"""The market maker's decisions: one order a side, requotes by replace, the inventory cap, and each refusal's
reaction (issue 17)."""

from __future__ import annotations

from decimal import Decimal

from domain.commands import CancelOrder, ReplaceOrder, SubmitOrder
from domain.enums import CxlRejReason, OrdRejReason
from strategy.denials import DenialKind
from strategy.market_maker import MakerState
from tests.unit.strategy.harness import Maker, by_side, only

D = Decimal
LIMIT_TEXT = (
    "max long position exceeded: position 300, working 0, order 100 -> long 400 > limit 350 (account MM1, MSFT)"
)
THROTTLE_TEXT = "order rate limit: 5 orders per second for account MM1; retry shortly"
KILL_TEXT = "kill switch on (account MM1) by ops: test"
BAND_TEXT = "price band: 99.98 outside the 0.01% band around mid 100.00 (99.99-100.01) for MSFT"


def _quoting(maker: Maker, mid: str = "100.00") -> dict[str, SubmitOrder]:
    """Both quotes sent and acknowledged."""
    sent = by_side(only(maker.mid(mid), SubmitOrder))
    for order in sent.values():
        assert maker.ack(order) == []
    return sent


def test_when_quotes_work_and_r_moves_less_than_requote_ticks_then_nothing_is_sent() -> None:
    maker = Maker()
    _quoting(maker)
    assert maker.top("99.99", "100.02") == []  # mid 100.005: r moved half a tick


def test_when_r_moves_by_requote_ticks_then_each_quote_is_replaced_in_place() -> None:
    maker = Maker()
    sent = _quoting(maker)
    moved = by_side(only(maker.mid("100.01"), ReplaceOrder))
    assert (moved["BUY"].price, moved["SELL"].price) == (D("99.99"), D("100.03"))
    assert moved["BUY"].orig_cl_ord_id == sent["BUY"].cl_ord_id and moved["BUY"].order_qty == D(100)
    # while the replaces are in flight nothing more goes, whatever the market does
    assert maker.mid("100.05") == []
    # each answer frees its side, which moves to the latest mid (100.05): the offer first, away from the bid; the
    # bid, going up to 100.03, waits until the offer no longer rests at 100.03 (it would trade with it)
    assert maker.replaced(moved["BUY"]) == []
    ask_again = only(maker.replaced(moved["SELL"]), ReplaceOrder)
    assert [(c.side.name, c.price) for c in ask_again] == [("SELL", D("100.07"))]
    bid_again = only(maker.replaced(ask_again[0]), ReplaceOrder)
    assert [(c.side.name, c.price) for c in bid_again] == [("BUY", D("100.03"))]
    assert bid_again[0].orig_cl_ord_id == moved["BUY"].cl_ord_id


def test_when_its_own_quote_is_the_touch_then_it_prices_around_the_market_without_it() -> None:
    maker = Maker(inventory="200")
    sent = by_side(maker.levels([("99.98", 500)], [("100.02", 500)]))  # mid 100.00, r 99.98: 99.96 / 100.00
    assert (sent["BUY"].price, sent["SELL"].price) == (D("99.96"), D("100.00"))
    for order in sent.values():
        maker.ack(order)
    # its offer is now the best: the consolidated mid is 99.99, but the market's is still 100.00 - no requote
    assert maker.levels([("99.98", 500), ("99.96", 100)], [("100.00", 100), ("100.02", 500)]) == []
    assert maker.mm.market_mid() == D("100.00")
    # someone else joins its offer: that level is the market's too now
    moved = by_side(maker.levels([("99.98", 500), ("99.96", 100)], [("100.00", 300), ("100.02", 500)]))
    assert maker.mm.market_mid() == D("99.99") and moved["SELL"].price == D("99.99")


def test_when_only_its_own_orders_are_left_then_no_mid_and_its_quotes_come_out() -> None:
    maker = Maker()
    sent = by_side(maker.levels([("99.99", 100)], [("100.01", 100)]))
    for order in sent.values():
        maker.ack(order)
    assert len(only(maker.levels([("99.98", 100)], [("100.02", 100)]), CancelOrder)) == 2


def test_when_an_order_is_pending_new_then_no_second_order_on_its_side() -> None:
    maker = Maker()
    assert len(maker.mid("100.00")) == 2
    assert maker.mid("100.03") == []
    assert maker.mid("100.00") == []


def test_when_a_fill_moves_inventory_then_the_skew_moves_both_quotes() -> None:
    maker = Maker()
    sent = _quoting(maker)
    after = maker.fill(sent["BUY"], "100")  # filled: q = +100, r = 99.99
    new_bid = only([c for c in after if isinstance(c, SubmitOrder)], SubmitOrder)
    replace = only([c for c in after if isinstance(c, ReplaceOrder)], ReplaceOrder)
    assert [c.price for c in new_bid] == [D("99.97")] and [c.price for c in replace] == [D("100.01")]
    assert maker.mm.inventory == D(100)
    status = maker.mm.status()
    assert status["bought"] == "100" and status["fills"] == 1


def test_when_partly_filled_and_requoted_then_the_replace_keeps_size_working() -> None:
    maker = Maker(skew_ticks_per_lot="0")
    sent = _quoting(maker)
    assert maker.fill(sent["SELL"], "40") == []
    moved = by_side(only(maker.mid("100.01"), ReplaceOrder))
    assert moved["SELL"].order_qty == D(140)  # OrderQty counts the 40 filled: 100 work again


def test_when_a_fill_would_take_inventory_beyond_max_then_that_side_is_not_quoted() -> None:
    maker = Maker(inventory="450")
    sent = only(maker.mid("100.00"), SubmitOrder)
    assert [c.side.name for c in sent] == ["SELL"]  # a bid of 100 could take it to 550 > 500
    maker = Maker(inventory="-400")
    assert [c.side.name for c in maker.mid("100.00")] == ["BUY", "SELL"]  # -500 is within


def test_when_a_fill_takes_inventory_to_the_cap_then_no_new_bid() -> None:
    maker = Maker(inventory="350", skew_ticks_per_lot="0")
    sent = _quoting(maker)
    assert maker.fill(sent["BUY"], "50") == []  # q 400, the 50 left could take it to 450: within
    out = maker.fill(sent["BUY"], "50", cum="100")  # q 450: another bid of 100 could reach 550
    assert [c.side.name for c in out] == []
    assert maker.mm.inventory == D(450)


def test_when_a_requote_would_top_the_bid_up_beyond_the_cap_then_it_is_canceled_instead() -> None:
    maker = Maker(inventory="350", skew_ticks_per_lot="0")
    sent = _quoting(maker)
    maker.fill(sent["BUY"], "60")  # q 410: 40 left works (450 at most); a replace to 100 working could reach 510
    moved = by_side(maker.mid("100.01"))
    assert isinstance(moved["BUY"], CancelOrder) and isinstance(moved["SELL"], ReplaceOrder)


def _canceled() -> tuple[object, object]:
    from domain.enums import ExecType, OrdStatus

    return ExecType.CANCELED, OrdStatus.CANCELED


# -- refusals --------------------------------------------------------------------------------------------


def test_when_a_bid_is_refused_over_a_limit_then_bids_stop_until_inventory_is_back_under_the_resume_line() -> None:
    maker = Maker(inventory="300", skew_ticks_per_lot="0")
    sent = by_side(maker.mid("100.00"))
    maker.denied(sent["BUY"], OrdRejReason.ORDER_EXCEEDS_LIMIT, LIMIT_TEXT)
    maker.ack(sent["SELL"])
    moved = maker.mid("100.05")
    assert [c.side.name for c in moved] == ["SELL"]  # no bid: stopped; the offer still moves
    maker.replaced(moved[0])
    # no timer either: q = 300 is over 0.5 x 500, only the inventory brings the bid back
    assert maker.mm.next_timer_ns() is None
    assert maker.advance_ms(60_000) == []
    out = maker.fill(moved[0], "60")  # q 240 < 250 and < 300: bids again
    assert [c.side.name for c in out if isinstance(c, SubmitOrder)] == ["BUY"]


def test_when_refused_over_a_limit_below_the_resume_line_then_the_side_is_probed_after_a_backoff() -> None:
    maker = Maker(inventory="0")
    sent = by_side(maker.mid("100.00"))
    maker.denied(sent["BUY"], OrdRejReason.ORDER_EXCEEDS_LIMIT, "max notional exceeded: 100 x 99.98 > limit 5000")
    maker.ack(sent["SELL"])
    assert maker.advance_ms(499) == []
    probe = maker.advance_ms(1)
    assert [c.side.name for c in probe] == ["BUY"]
    maker.denied(probe[0], OrdRejReason.ORDER_EXCEEDS_LIMIT, "max notional exceeded: 100 x 99.98 > limit 5000")
    assert maker.advance_ms(999) == []  # the wait doubled
    assert [c.side.name for c in maker.advance_ms(1)] == ["BUY"]


def test_when_a_replace_is_refused_over_a_limit_then_that_side_is_canceled_and_stops() -> None:
    maker = Maker(inventory="300", skew_ticks_per_lot="0")
    sent = _quoting(maker)
    moved = by_side(only(maker.mid("100.01"), ReplaceOrder))
    out = maker.replace_refused(moved["BUY"], LIMIT_TEXT)
    cancel = only(out, CancelOrder)
    assert [c.orig_cl_ord_id for c in cancel] == [sent["BUY"].cl_ord_id]
    assert maker.mm.denials[DenialKind.LIMIT] == 1


def test_when_throttled_then_idle_with_no_orders_and_back_after_a_doubling_backoff() -> None:
    maker = Maker()
    sent = by_side(maker.mid("100.00"))
    maker.denied(sent["BUY"], OrdRejReason.OTHER, THROTTLE_TEXT)
    assert maker.mm.state is MakerState.IDLE and maker.mm.denials[DenialKind.THROTTLE] == 1
    assert maker.ack(sent["SELL"]) == []
    assert maker.mid("100.05") == []  # idle: the market moves, nothing is sent
    assert maker.advance_ms(499) == []
    back = maker.advance_ms(1)  # the offer moves up to the new mid first; the new bid (100.03) waits for it
    assert [(type(c).__name__, c.side.name) for c in back] == [("ReplaceOrder", "SELL")]
    maker.replace_refused(back[0], THROTTLE_TEXT, CxlRejReason.OTHER)
    assert maker.mm.denials[DenialKind.THROTTLE] == 2 and maker.mm.state is MakerState.IDLE
    assert maker.advance_ms(999) == []  # the wait doubled: 1 s
    again = maker.advance_ms(1)
    assert [(type(c).__name__, c.side.name) for c in again] == [("ReplaceOrder", "SELL")]
    assert [(type(c).__name__, c.side.name) for c in maker.replaced(again[0])] == [("SubmitOrder", "BUY")]


def test_when_kill_switch_refuses_then_idle_until_the_control_is_lifted() -> None:
    maker = Maker()
    sent = by_side(maker.mid("100.00"))
    maker.control = KILL_TEXT
    maker.denied(sent["BUY"], OrdRejReason.BROKER_OPTION, KILL_TEXT)
    maker.denied(sent["SELL"], OrdRejReason.BROKER_OPTION, KILL_TEXT)
    assert maker.mm.state is MakerState.IDLE and maker.mm.denials[DenialKind.KILL] == 2
    due = maker.mm.next_timer_ns()
    maker.clock.advance(50_000_000)
    assert maker.mm.next_timer_ns() == due  # a fixed time, not one that moves with the clock
    for _ in range(100):  # ten seconds of polling the controls: never an order
        assert maker.advance_ms(100) == []
    maker.control = None
    assert [c.side.name for c in maker.advance_ms(100)] == ["BUY", "SELL"]


def test_when_a_control_it_can_see_is_on_then_it_sends_nothing_and_is_not_refused() -> None:
    maker = Maker()
    sent = _quoting(maker)
    maker.control = KILL_TEXT
    # the kill switch cancels its orders: the cancels come back, and it sends nothing
    for order in sent.values():
        assert maker.canceled(order) == []
    assert maker.mm.state is MakerState.IDLE and sum(maker.mm.denials.values()) == 0
    maker.control = None
    assert len(maker.advance_ms(100)) == 2


def test_without_a_controls_probe_a_kill_refusal_waits_out_a_backoff_then_probes() -> None:
    maker = Maker(blocked=False)
    sent = by_side(maker.mid("100.00"))
    maker.denied(sent["BUY"], OrdRejReason.BROKER_OPTION, KILL_TEXT)
    maker.denied(sent["SELL"], OrdRejReason.BROKER_OPTION, KILL_TEXT)
    assert maker.advance_ms(499) == []
    assert len(maker.advance_ms(1)) == 2


def test_when_refused_max_denials_times_in_a_row_then_idle_whatever_the_kind() -> None:
    maker = Maker(inventory="0", max_denials=3)
    sent = by_side(maker.mid("100.00"))
    notional = "max notional exceeded: 100 x 100 = 10000 > limit 5000 (account MM1, MSFT)"
    maker.denied(sent["BUY"], OrdRejReason.ORDER_EXCEEDS_LIMIT, notional)
    maker.denied(sent["SELL"], OrdRejReason.ORDER_EXCEEDS_LIMIT, notional)
    assert maker.mm.state is MakerState.QUOTING  # two sides stopped by limits, not idle yet
    probes = maker.advance_ms(500) + maker.advance_ms(1000)
    for probe in probes:
        maker.denied(probe, OrdRejReason.ORDER_EXCEEDS_LIMIT, notional)
    assert maker.mm.state is MakerState.IDLE and maker.mm.in_a_row >= 3


def test_when_other_refusal_then_backs_off_and_an_order_accepted_after_it_resets_the_wait() -> None:
    maker = Maker()
    sent = by_side(maker.mid("100.00"))
    maker.denied(sent["BUY"], OrdRejReason.OTHER, BAND_TEXT)
    assert maker.mm.state is MakerState.IDLE and maker.mm.denials[DenialKind.OTHER] == 1
    maker.ack(sent["SELL"])  # sent before the refusal: it proves nothing
    assert maker.mm.in_a_row == 1
    back = maker.advance_ms(500)
    assert [c.side.name for c in back] == ["BUY"]
    maker.ack(back[0])  # sent after: the refusal's cause is gone
    assert maker.mm.in_a_row == 0
    maker.fill(back[0], "100")
    assert maker.mm.state is MakerState.QUOTING


def test_when_the_book_cannot_commit_then_refused_locally_and_backs_off() -> None:
    maker = Maker()
    sent = by_side(maker.mid("100.00"))
    assert list(maker.mm.on_refused(sent["BUY"], "book of record unavailable")) == []
    assert maker.mm.denials[DenialKind.UNAVAILABLE] == 1 and maker.mm.state is MakerState.IDLE
    assert maker.mm.quotes[sent["BUY"].side] is None


def test_when_no_mid_then_working_quotes_are_canceled() -> None:
    maker = Maker()
    _quoting(maker)
    pulled = only(maker.top("99.99", None), CancelOrder)
    assert len(pulled) == 2


def test_inventory_and_pnl_follow_its_fills() -> None:
    maker = Maker(skew_ticks_per_lot="0")
    sent = _quoting(maker)
    maker.fill(sent["BUY"], "100")  # bought 100 at 99.98
    maker.fill(sent["SELL"], "100")  # sold 100 at 100.02
    status = maker.mm.status()
    assert status["inventory"] == "0" and D(str(status["realized_pnl"])) == D("4.00")


def test_a_fill_of_an_earlier_runs_order_reads_the_position_again() -> None:
    maker = Maker(inventory="200")
    sent = _quoting(maker)
    stranger = maker.execution(sent["BUY"], *_canceled())
    report = type(stranger)(
        **{
            **_fields(stranger),
            "cl_ord_id": "MM1-old-1",
            "exec_type": "F",
            "ord_status": "2",
            "last_qty": D(50),
            "last_px": D(100),
        }
    )
    maker.report(report)
    assert maker.mm.inventory == D(200)  # the book's position (the stub's), not 200 + 50


def _fields(report: object) -> dict[str, object]:
    import msgspec

    return msgspec.structs.asdict(report)  # type: ignore[arg-type]
