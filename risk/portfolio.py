"""Portfolio risk, per account and firm-wide: gross and net exposure, long and short market value, one-day VaR.

Theory of operation. A *book* (one per account, and the firm's, which holds every account's positions) has a *leg*
per symbol it holds or has been asked about: the position, its market value at the symbol's mark (``Decimal``:
money), and for VaR that value as a float and ``(S w)_i``, the covariance matrix times the book's value vector, at
that symbol. The book keeps its totals (gross, net, long, short) and its variance ``w' S w`` as running figures:

- a fill moves one leg: the totals move by the change in that leg's value, the variance by
  ``2 d (S w)_i + d^2 S_ii`` (``risk.var.variance_after``), and ``(S w)_j`` of each of the book's legs by
  ``S_ji d``: O(legs of the book), never a loop over orders;
- a sample of mids (``on_marks``, once every ``[risk.var] interval_ms``) moves the marks and the estimates: ``S``
  is rebuilt, and each book recomputed from its positions (O(legs x held legs) a book, once an interval, off the
  order path);
- the pre-trade check (``risk.portfolio_checks``) reads the figures, and the variance after a hypothetical order
  is one ``variance_after``: O(1).

A symbol's mark is its consolidated mid at the last sample, else (no usable mid) the last trade, else the
instrument's configured reference price (``Exposure.marks``), as ``fixgw positions`` marks.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from operator import itemgetter, mul
from typing import Any

from risk.headroom import NO_BOUNDS, Bounds, fit, fit_leg
from risk.limits import RiskLimits
from risk.var import EwmaCovariance, value_at_risk, variance_after

_ZERO = Decimal(0)
_NO_ROOM = Decimal("-Infinity")
FIRM = "*"
"""The firm's book: every account's positions together."""


class Market:
    """One symbol as the portfolio sees it: its mark and its own one-day variance ``S_ii``."""

    __slots__ = ("from_mid", "mark", "mark_f", "own", "symbol")

    def __init__(self, symbol: str, mark: Decimal | None, own: float) -> None:
        self.symbol = symbol
        self.mark: Decimal | None = None
        self.mark_f = 0.0
        """``mark`` as a float: what the pre-trade screen multiplies by (``risk.portfolio_checks``)."""
        self.set_mark(mark)
        self.from_mid = False
        """The mark is the mid of the last sample (else the last trade or the configured price)."""
        self.own = own

    def set_mark(self, mark: Decimal | None) -> None:
        """Mark the symbol at ``mark`` (both forms)."""
        self.mark = mark
        self.mark_f = float(mark) if mark is not None else 0.0


class Leg:
    """One book's position in one symbol, at the symbol's mark."""

    __slots__ = ("market", "qty", "room_buy", "room_sell", "size", "u", "value", "value_f")

    def __init__(self, market: Market) -> None:
        self.market = market
        self.qty = _ZERO
        self.value = _ZERO
        """Signed market value, qty x mark."""
        self.size = _ZERO
        """|value|: what the leg adds to the gross."""
        self.value_f = 0.0
        self.u = 0.0
        """``(S w)_i``: the covariance of this symbol's one-day P&L per unit of value with the whole book's."""
        self.room_buy = self.room_sell = _NO_ROOM
        """The quantity a buy may add to (a sell take from) this leg, working orders on its side included, before a
        limit of the book is reached (``risk.headroom``); none until computed."""


class PortfolioBook:
    """One account's (or the firm's) positions with their running totals and variance."""

    __slots__ = ("bounds", "gross", "gross_f", "legs", "long", "name", "net", "net_f", "short", "variance")

    def __init__(self, name: str, bounds: Bounds = NO_BOUNDS) -> None:
        self.name = name
        self.bounds = bounds
        """The book's portfolio limits (the account's, or the firm's)."""
        self.legs: dict[str, Leg] = {}
        self.gross = _ZERO
        self.net = _ZERO
        self.long = _ZERO
        self.short = _ZERO
        """Market value of the short legs (negative or zero)."""
        self.variance = 0.0
        """``w' S w``, money squared."""
        self.gross_f = 0.0
        self.net_f = 0.0
        """``gross`` and ``net`` as floats, kept beside them: the pre-trade screen reads these, and decides with the
        ``Decimal`` figures only near a limit (``risk.portfolio_checks``)."""


class Portfolio:
    """Every account's book and the firm's, their marks and the covariance estimate behind their VaR."""

    def __init__(self, limits: RiskLimits, fallback_marks: Mapping[str, Decimal]) -> None:
        """``limits``: the portfolio limits of each book, and ``[risk.var]``; ``fallback_marks``: the last trade, else
        the configured price, per symbol (``Exposure.marks``, live)."""
        settings = self.settings = limits.var
        self._limits = limits
        self.z = settings.z
        self.estimator = EwmaCovariance(settings)
        self._fallback = fallback_marks
        self.markets: dict[str, Market] = {}
        self.cov: dict[str, dict[str, float]] = {}
        """The daily covariance matrix in use, over every symbol in ``markets``."""
        self.books: dict[str, PortfolioBook] = {}
        self.firm = PortfolioBook(FIRM, self._bounds(FIRM))

    # -- what the checks and displays read -----------------------------------------------------------

    def book(self, account: str) -> PortfolioBook:
        """The (lasting) book of ``account``."""
        book = self.books.get(account)
        if book is None:
            book = self.books[account] = PortfolioBook(account, self._bounds(account))
        return book

    def _bounds(self, name: str) -> Bounds:
        limits = self._limits.firm if name == FIRM else self._limits.effective(name, "")
        return Bounds(limits.max_gross_exposure, limits.max_net_exposure, limits.max_var, self.z, firm=name == FIRM)

    def leg(self, book: PortfolioBook, symbol: str) -> Leg:
        """The (lasting) leg of ``book`` in ``symbol``, with its ``(S w)_i`` from the book's positions."""
        leg = book.legs.get(symbol)
        if leg is None:
            market = self.market(symbol)
            leg = book.legs[symbol] = Leg(market)
            row = self.cov[symbol]
            leg.u = sum(row[s] * other.value_f for s, other in book.legs.items() if other.value_f)
            fit_leg(book, leg)
        return leg

    def market(self, symbol: str) -> Market:
        """The (lasting) market of ``symbol``; a new one gets its row of the covariance matrix."""
        market = self.markets.get(symbol)
        if market is None:
            estimator = self.estimator
            vol = estimator.daily_vol(symbol)
            row = {s: estimator.correlation(symbol, s) * vol * estimator.daily_vol(s) for s in self.markets}
            row[symbol] = vol * vol
            for s, value in row.items():
                self.cov.setdefault(s, {})[symbol] = value
            self.cov[symbol] = row
            market = self.markets[symbol] = Market(symbol, self._fallback.get(symbol), vol * vol)
        return market

    def var(self, book: PortfolioBook) -> float:
        """The book's one-day VaR at the configured confidence."""
        return value_at_risk(book.variance, self.z)

    def figures(self, book: PortfolioBook) -> dict[str, Any]:
        """Gross, net, long and short market value, and VaR, of one book."""
        return {
            "gross": book.gross,
            "net": book.net,
            "long": book.long,
            "short": book.short,
            "var": round(self.var(book), 2),
        }

    def breakdown(self, book: PortfolioBook) -> list[dict[str, Any]]:
        """Per symbol held: position, mark and its source, value, daily volatility, stand-alone and component VaR
        (the components sum to the book's VaR)."""
        sigma = value_at_risk(book.variance, 1.0)
        rows = []
        for symbol, leg in sorted(book.legs.items()):
            if leg.qty == 0:
                continue
            market = leg.market
            vol = market.own**0.5
            rows.append(
                {
                    "symbol": symbol,
                    "qty": leg.qty,
                    "mark": market.mark,
                    "mark_source": "mid" if market.from_mid else "last",
                    "value": leg.value,
                    "daily_vol": round(vol, 6),
                    "samples": self.estimator.samples(symbol),
                    "standalone_var": round(self.z * abs(leg.value_f) * vol, 2),
                    "component_var": round(leg.value_f * leg.u / sigma * self.z, 2) if sigma > 0 else 0.0,
                }
            )
        return rows

    def all_books(self) -> list[PortfolioBook]:
        """Every account's book, then the firm's."""
        return [*self.books.values(), self.firm]

    # -- what feeds it -------------------------------------------------------------------------------

    def on_fill(self, account: str, symbol: str, qty: Decimal, price: Decimal) -> None:
        """A fill at ``price`` left ``account`` with ``qty`` (signed) in ``symbol``."""
        market = self.market(symbol)
        if not market.from_mid and market.mark != price:  # no mid: the last trade marks the symbol
            self._remark(market, price)
        book = self.book(account)
        leg = self.leg(book, symbol)
        firm_leg = self.leg(self.firm, symbol)
        change = qty - leg.qty
        self._move(book, leg, qty)
        self._move(self.firm, firm_leg, firm_leg.qty + change)

    def on_marks(self, ts_ns: int, mids: Mapping[str, Decimal]) -> set[str]:
        """A sample of the mids (symbols without a usable mid left out): estimates, marks and every book follow.

        Returns the symbols whose mark moved. A book's VaR can only rise at a sample where one of its symbols moved:
        a symbol's variance (and its covariances) grow only with its own non-zero returns, and decay otherwise.
        """
        self.estimator.observe(ts_ns, {s: float(m) for s, m in mids.items()})
        for symbol in mids:
            self.market(symbol)
        self.refresh()
        moved: set[str] = set()
        for symbol, market in self.markets.items():
            mid = mids.get(symbol)
            market.from_mid = mid is not None
            mark = mid if mid is not None else self._fallback.get(symbol, market.mark)
            if mark != market.mark:
                moved.add(symbol)
                market.set_mark(mark)
        for book in self.all_books():
            self._rebuild(book)
        return moved

    def set_limits(self, limits: RiskLimits) -> None:
        """New limits (and ``[risk.var]`` settings): every book's bounds and headroom follow at once."""
        self._limits = limits
        if limits.var != self.settings:
            self.settings = self.estimator.settings = limits.var
            self.z = limits.var.z
            self.refresh()
        for book in self.all_books():
            book.bounds = self._bounds(book.name)
            self._rebuild(book)

    def refresh(self) -> None:
        """Rebuild the covariance matrix from the estimates (each market's ``own`` too)."""
        self.cov = self.estimator.matrix(self.markets)
        for symbol, market in self.markets.items():
            market.own = self.cov[symbol][symbol]

    def _remark(self, market: Market, price: Decimal) -> None:
        market.set_mark(price)
        for book in self.all_books():
            leg = book.legs.get(market.symbol)
            if leg is not None and leg.qty:
                self._move(book, leg, leg.qty)

    def _move(self, book: PortfolioBook, leg: Leg, qty: Decimal) -> None:
        """Take ``leg`` to ``qty`` at its mark; the book's totals, variance and ``S w`` follow."""
        market = leg.market
        mark = market.mark if market.mark is not None else _ZERO
        value, old = qty * mark, leg.value
        book.gross += abs(value) - leg.size
        book.net += value - old
        book.long += max(value, _ZERO) - max(old, _ZERO)
        book.short += min(value, _ZERO) - min(old, _ZERO)
        leg.qty, leg.value, leg.size = qty, value, abs(value)
        value_f = float(value)
        delta = value_f - leg.value_f
        book.gross_f, book.net_f = float(book.gross), float(book.net)
        if delta:
            book.variance = variance_after(book.variance, leg.u, market.own, delta)
            row = self.cov[market.symbol]
            for symbol, other in book.legs.items():
                other.u += row[symbol] * delta
        leg.value_f = value_f
        fit(book)

    def _rebuild(self, book: PortfolioBook) -> None:
        """Recompute one book from its positions at the current marks and matrix."""
        gross = net = long = short = _ZERO
        held: list[tuple[str, float]] = []
        for symbol, leg in book.legs.items():
            mark = leg.market.mark
            value = leg.qty * mark if mark is not None else _ZERO
            leg.value, leg.size, leg.value_f = value, abs(value), float(value)
            gross += leg.size
            net += value
            if value > 0:
                long += value
            else:
                short += value
            if leg.value_f:
                held.append((symbol, leg.value_f))
        book.gross, book.net, book.long, book.short = gross, net, long, short
        book.gross_f, book.net_f = float(gross), float(net)
        cov = self.cov
        variance = 0.0
        if held:
            symbols, values = zip(*held, strict=True)
            pick = itemgetter(*symbols) if len(symbols) > 1 else lambda row: (row[symbols[0]],)
            for symbol, leg in book.legs.items():  # (S w)_i over the held legs, the products summed in C
                leg.u = sum(map(mul, pick(cov[symbol]), values))
                variance += leg.value_f * leg.u
        else:
            for leg in book.legs.values():
                leg.u = 0.0
        book.variance = variance
        fit(book)
