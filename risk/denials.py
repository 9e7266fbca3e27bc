"""Which pre-trade check refused an order, read off the denial's Text (58): what operators count denials by.

A ``Denial`` carries the FIX OrdRejReason (103) and a Text for a human; several checks share one OrdRejReason
(ORDER_EXCEEDS_LIMIT is quantity, notional or position), so the Text is what tells them apart. Each text below is
the opening the check writes (``risk.checks``, ``risk.pretrade``, ``risk.admission``, ``risk.entitlements``); a
unit test drives every check to its denial and reads it back here, so a reworded text fails that test instead of
going uncounted. Names are the limit's name where the check enforces one limit.
"""

from __future__ import annotations

import re
from typing import Final

OTHER: Final = "other"
"""A denial no known check wrote (e.g. an order the EMS could not send)."""

_PATTERNS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("entitlement", r" is not entitled for client |^client \S+ has no tradable accounts"),
        ("kill_switch", r"^kill switch on \("),
        ("quantity", r"^OrderQty \(38\) must be positive"),
        ("lot_size", r"^OrderQty \(38\) \S+ is not a multiple of the lot size"),
        ("price", r"^Price \(44\) (is required|must be positive)"),
        ("tick_size", r"^Price \(44\) \S+ is not a multiple of the tick size"),
        ("unknown_symbol", r"^Unknown symbol "),
        ("no_reference", r"^no reference price for "),
        ("max_order_qty", r"^max order quantity exceeded"),
        ("max_notional", r"^max notional exceeded"),
        ("restricted", r"^\S+ is restricted for account "),
        ("price_band", r"^price band: "),
        ("max_long_qty", r"^max long position exceeded"),
        ("max_short_qty", r"^max short position exceeded"),
        ("credit_limit", r"^credit limit exceeded"),
        ("max_daily_loss", r"^loss limit reached"),
        ("trading_state", r"^trading halted for account |^account \S+ is reduce-only \("),
        ("max_orders_per_second", r"^order rate limit: "),
        ("max_messages_per_second", r"^message rate limit: "),
        ("duplicate", r"^duplicate order: "),
    )
)
CHECKS: Final = tuple(name for name, _ in _PATTERNS)
"""Every check a denial can be counted under (besides ``OTHER``), in the order the catalogue runs them."""


def check_of(text: str | None) -> str:
    """The name of the check whose denial has this Text (58); ``OTHER`` when none matches."""
    for name, pattern in _PATTERNS:
        if text and pattern.search(text):
            return name
    return OTHER
