"""What a refusal means to a strategy: which control refused it, so that it can react as the control asks.

A strategy hears of a refusal as a FIX client does: an ExecutionReport 150=8 with OrdRejReason (103) and Text (58)
for a new order, an OrderCancelReject (35=9, no 103) for a replace or a cancel. The risk gateway's texts name the
check first (``risk.checks``, ``risk.pretrade``, ``risk.admission``); these are the words read here, and
``tests/unit/strategy/test_denials.py`` builds each denial with the risk engine itself so the two cannot drift.
"""

from __future__ import annotations

from enum import StrEnum

from domain.enums import OrdRejReason


class DenialKind(StrEnum):
    """How a strategy must react to a refusal."""

    LIMIT = "limit"
    """Over a limit (103=3; position, quantity, notional, credit, loss; reduce-only): stop the side that adds
    exposure."""
    THROTTLE = "throttle"
    """An order or message rate: back off and go idle."""
    KILL = "kill"
    """A kill switch, or trading halted: go idle until the control is lifted."""
    UNAVAILABLE = "unavailable"
    """The gateway cannot take orders now (its book of record cannot commit, the venue is not connected: 103=2):
    back off."""
    OTHER = "other"
    """Anything else (price band, instrument rules, the venue's reject): back off."""


_KILL = ("kill switch on", "trading halted")
_THROTTLE = "rate limit"
_LIMIT = (
    "max order quantity exceeded",
    "max notional exceeded",
    "max long position exceeded",
    "max short position exceeded",
    "credit limit exceeded",
    "loss limit reached",
)
_REDUCE_ONLY = " is reduce-only "


def classify(reason: OrdRejReason | None, text: str | None) -> DenialKind:
    """The kind of a refusal from its OrdRejReason (103; None on a 35=9) and its Text (58)."""
    text = text or ""
    if text.startswith(_KILL):
        return DenialKind.KILL
    if _THROTTLE in text:
        return DenialKind.THROTTLE
    if reason is OrdRejReason.ORDER_EXCEEDS_LIMIT or text.startswith(_LIMIT) or _REDUCE_ONLY in text:
        return DenialKind.LIMIT
    if reason is OrdRejReason.EXCHANGE_CLOSED:
        return DenialKind.UNAVAILABLE
    return DenialKind.OTHER
