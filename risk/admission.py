"""Message throttles: every client message (35=D, F, G, H, q) counts against the message rates of its session and,
when it is about an order, of that order's account; one over a rate is refused before the OMS books anything."""

from __future__ import annotations

from domain.clock import Clock
from domain.enums import OrdRejReason
from domain.ids import SessionKey, client_comp_id
from domain.verdicts import Denial
from risk.slots import Slots


class MessageThrottles:
    """Admit or refuse one client message against the message rates configured for it."""

    def __init__(self, clock: Clock, slots: Slots) -> None:
        self._now = clock.now_ns
        self._slots = slots
        self._sessions = slots.sessions
        self._kept = slots.kept

    def admit(self, session: SessionKey, account: str | None, symbol: str | None) -> Denial | None:
        """Count one client message; return the denial when it is over a message rate (and then count nothing).

        ``account`` and ``symbol`` name the order the message is about (35=D, G, and F when the order is known):
        it then counts for the account's message rate as well as the session's.
        """
        client = client_comp_id(session)
        throttle = self._sessions.get(client) or self._slots.session(client)
        now = self._now()
        if throttle.messages_limit and throttle.messages_window.full(throttle.messages_limit, now):
            return Denial(
                OrdRejReason.OTHER,
                f"message rate limit: {throttle.messages_limit} messages per second for session {client}; "
                "retry shortly",
                check="session_message_rate",
            )
        slot = None
        if account is not None and symbol is not None:
            slot = self._kept.get((session, account, symbol)) or self._slots.slot(session, account, symbol)
            if slot.messages_limit and slot.messages_window.full(slot.messages_limit, now):
                return Denial(
                    OrdRejReason.OTHER,
                    f"message rate limit: {slot.messages_limit} messages per second for account {account}; "
                    "retry shortly",
                    check="message_rate",
                )
        if throttle.messages_limit:
            throttle.messages_window.add(now)
        if slot is not None and slot.messages_limit:
            slot.messages_window.add(now)
        return None
