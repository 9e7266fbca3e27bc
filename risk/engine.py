"""The risk engine: the one door the OMS asks every risk question through, and the post-trade follower.

Theory of operation. Two questions come on the order path, and the OMS asks both by a direct call on this object
(it needs the answer before it books or sends anything): ``admit`` — may this client message be taken at all
(message throttles, ``risk.admission``) — and ``check`` — may this order or replace go (the whole catalogue,
``risk.pretrade``). Both answer None or a ``Denial`` with the FIX reason and a Text naming the limit and the value.
After the fact, ``risk.posttrade`` follows every order change the OMS publishes (exposure, and the ``on_breach``
actions after a live fill) and every sample of the mids (``RISK_MARKS``: portfolio marks and VaR, and the actions
after a mark move). All three read the same resolved ``risk.slots``, the same ``Exposure`` and ``Portfolio``.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.bus import MessageBus
from domain.clock import Clock
from domain.ids import SessionKey
from domain.marketdata import NoQuotes, Quotes
from domain.verdicts import Denial
from risk.admission import MessageThrottles
from risk.checks import OrderTerms
from risk.controls import Controls
from risk.entitlements import Entitlements
from risk.exposure import Exposure
from risk.limits import Instrument, RiskLimits
from risk.portfolio import Portfolio
from risk.posttrade import PostTradeActions
from risk.pretrade import PreTradeChecks
from risk.slots import Slots


class RiskEngine:
    """Pre-trade answers for the OMS (``admit``, ``check``) and post-trade actions after fills."""

    admit: Callable[[SessionKey, str | None, str | None], Denial | None]
    """Count one client message (35=D/F/G/H/q) against the message throttles; the denial when over one
    (``MessageThrottles.admit``, bound here: no wrapper call on the order path)."""
    check: Callable[[OrderTerms], Denial | None]
    """Run the whole catalogue on a new order or a replace's new terms; the first denial, or None
    (``PreTradeChecks.check``, bound here)."""

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        limits: RiskLimits,
        instruments: dict[str, Instrument],
        entitlements: Entitlements | None = None,
        controls: Controls | None = None,
        quotes: Quotes | None = None,
    ) -> None:
        """``entitlements``: the accounts each client may trade; None checks no entitlement (tests, tools).
        ``quotes``: the live books, read for a mid ``band_reference``; none by default (no market data)."""
        self._clock = clock
        references = {s: i.reference_price for s, i in instruments.items() if i.reference_price is not None}
        self.exposure = Exposure(references, limits.day_roll_utc, clock.now_ns())
        self.controls = controls or Controls()
        self.portfolio = Portfolio(limits, self.exposure.marks)
        self._slots = Slots(limits, instruments, entitlements, self.exposure, self.portfolio)
        self._throttles = MessageThrottles(clock, self._slots)
        self._pretrade = PreTradeChecks(
            clock,
            self._slots,
            self.exposure,
            self.controls,
            quotes if quotes is not None else NoQuotes(),
            self.portfolio,
        )
        self._posttrade = PostTradeActions(bus, clock, self._slots, self.exposure, self.controls, self.portfolio)
        self.admit = self._throttles.admit
        self.check = self._pretrade.check

    @property
    def limits(self) -> RiskLimits:
        """The limits in force."""
        return self._slots.limits

    def set_limits(self, limits: RiskLimits) -> None:
        """Apply new limits at once (operators change them live); the rate windows keep what they counted."""
        self.portfolio.set_limits(limits)
        self._slots.set_limits(limits)
        self._pretrade.limits_changed(limits)
        if limits.day_roll_utc != self.exposure.day_roll:
            self.exposure.set_day_roll(limits.day_roll_utc, self._clock.now_ns())
