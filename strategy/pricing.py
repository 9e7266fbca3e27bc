"""The market maker's prices: the reservation price and the quotes around it (pure functions, ``Decimal``).

``r = mid - k·tick·q/lot``: with ``q`` shares long, the maker's own value of the stock is below the mid (it would
rather sell), and above it when short. Quotes are ``r - h·tick`` and ``r + h·tick``.

Rounding: each quote is rounded *away from r* to the tick — the bid down, the offer up — so neither is ever closer
to the reservation price than ``h`` ticks: the maker is never paid less than the half spread it asked for, and on a
mid that falls between ticks (a one-tick spread: mid 100.005) the spread widens by a tick rather than leaning to a
side. Where ``r ± h·tick`` is on the tick already (every row of the issue's table) nothing moves:
tick 0.01, h = 2, k = 1 tick per 100 shares, mid 100.00: q = 0 -> 99.98 / 100.02; q = +200 -> 99.96 / 100.00;
q = -300 -> 100.01 / 100.05.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

_ONE = Decimal(1)


def reservation_price(
    mid: Decimal, inventory: Decimal, tick: Decimal, skew_ticks_per_lot: Decimal, lot: Decimal
) -> Decimal:
    """``mid - k·tick·q/lot``: the mid skewed against the inventory."""
    return mid - skew_ticks_per_lot * tick * inventory / lot


def quote_prices(reservation: Decimal, tick: Decimal, half_spread_ticks: int) -> tuple[Decimal, Decimal]:
    """The bid (``r - h·tick`` rounded down to the tick) and the offer (``r + h·tick`` rounded up)."""
    half = tick * half_spread_ticks
    bid = ((reservation - half) / tick).quantize(_ONE, rounding=ROUND_FLOOR) * tick
    ask = ((reservation + half) / tick).quantize(_ONE, rounding=ROUND_CEILING) * tick
    return bid, ask
