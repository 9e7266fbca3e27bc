"""Order and message rate throttles, per account and per session; limits changed live."""

from __future__ import annotations

from decimal import Decimal

from domain.enums import OrdRejReason
from domain.ids import Account, OrderId, SessionKey
from domain.verdicts import Denial
from risk.limits import LimitSet, RiskLimits, SessionLimits
from tests.factories import new_order
from tests.unit.risk.harness import CLIENT1, Harness

D = Decimal
SECOND = 1_000_000_000
CLIENT2 = SessionKey("FIX.4.4:FIXGW->CLIENT2")


def test_session_order_rate_when_exceeded_across_accounts_then_denied_naming_the_session() -> None:
    h = Harness(RiskLimits(sessions={"CLIENT1": SessionLimits(max_orders_per_second=2)}))

    for i, account in enumerate(["A1", "A2", "A3"]):
        h.execute(new_order(order_id=OrderId(f"O{i}"), account=Account(account), price=D(100 + i)))
    h.execute(new_order(order_id=OrderId("OTHER"), session=CLIENT2, price=D(99)))

    [denied] = h.denials()
    assert denied.order_id == "O2"
    assert "order rate limit: 2 orders per second for session CLIENT1" in denied.text


def test_session_limits_when_every_session_and_own_then_tighter_applies() -> None:
    own = SessionLimits(max_messages_per_second=9, max_orders_per_second=3)
    limits = RiskLimits(sessions={"*": SessionLimits(max_messages_per_second=5), "CLIENT1": own})

    assert limits.effective_session("CLIENT1") == SessionLimits(max_messages_per_second=5, max_orders_per_second=3)
    assert limits.effective_session("CLIENT2") == SessionLimits(max_messages_per_second=5)


def test_admit_when_session_message_rate_exceeded_then_refused_until_a_second_passes() -> None:
    h = Harness(RiskLimits(sessions={"*": SessionLimits(max_messages_per_second=2)}))

    answers = [h.risk.admit(CLIENT1, None, None) for _ in range(3)]
    other = h.risk.admit(CLIENT2, None, None)
    h.clock.advance(SECOND)
    later = h.risk.admit(CLIENT1, None, None)

    assert answers[:2] == [None, None]
    assert answers[2] == Denial(
        OrdRejReason.OTHER,
        "message rate limit: 2 messages per second for session CLIENT1; retry shortly",
        check="session_message_rate",
    )
    assert other is None and later is None


def test_admit_when_account_message_rate_exceeded_then_refused_naming_the_account() -> None:
    h = Harness(RiskLimits(accounts={"ACCT1": LimitSet(max_messages_per_second=1)}))

    first = h.risk.admit(CLIENT1, "ACCT1", "MSFT")
    about_other_account = h.risk.admit(CLIENT1, "ACCT2", "MSFT")
    about_no_order = h.risk.admit(CLIENT1, None, None)
    second = h.risk.admit(CLIENT2, "ACCT1", "MSFT")  # any session: the window is the account's

    assert (first, about_other_account, about_no_order) == (None, None, None)
    assert second is not None and "1 messages per second for account ACCT1" in second.text


def test_admit_when_refused_then_not_counted() -> None:
    h = Harness(RiskLimits(sessions={"*": SessionLimits(max_messages_per_second=1)}))
    h.risk.admit(CLIENT1, None, None)
    for _ in range(5):
        h.clock.advance(SECOND // 10)
        assert h.risk.admit(CLIENT1, None, None) is not None

    h.clock.advance(SECOND // 2)  # a second after the only admitted message

    assert h.risk.admit(CLIENT1, None, None) is None


def test_flow_when_duplicate_denied_then_it_does_not_use_up_the_order_rate() -> None:
    h = Harness(RiskLimits(default=LimitSet(max_orders_per_second=2, duplicate_window_ms=500)))

    h.execute(new_order(order_id=OrderId("O1")))
    h.execute(new_order(order_id=OrderId("DUP")))
    h.execute(new_order(order_id=OrderId("O2"), price=D(101)))

    assert [d.order_id for d in h.denials()] == ["DUP"]


def test_set_limits_when_session_throttle_lowered_live_then_applies_to_the_next_message_with_what_was_counted() -> None:
    h = Harness(RiskLimits(sessions={"*": SessionLimits(max_messages_per_second=10)}))
    for _ in range(3):
        assert h.risk.admit(CLIENT1, None, None) is None

    h.risk.set_limits(h.risk.limits.with_limit("session", "CLIENT1", "max_messages_per_second", D(3)))

    assert h.risk.admit(CLIENT1, None, None) is not None
    h.risk.set_limits(h.risk.limits.with_limit("session", "CLIENT1", "max_messages_per_second", None))
    h.risk.set_limits(h.risk.limits.with_limit("session", "*", "max_messages_per_second", None))
    assert h.risk.admit(CLIENT1, None, None) is None


def test_set_limits_when_account_order_rate_raised_live_then_windows_grow() -> None:
    h = Harness(RiskLimits(default=LimitSet(max_orders_per_second=1)))
    h.execute(new_order(order_id=OrderId("O1"), price=D(100)))

    h.risk.set_limits(h.risk.limits.with_limit("default", None, "max_orders_per_second", D(3)))
    for i in range(2, 5):
        h.execute(new_order(order_id=OrderId(f"O{i}"), price=D(100 + i)))

    assert [d.order_id for d in h.denials()] == ["O4"]
