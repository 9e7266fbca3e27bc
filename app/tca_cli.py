"""``fixgw tca``: post-trade transaction cost analysis of the book of record (issue 18).

Reads the book like ``fixgw orders`` (``--settings`` / ``--db``); every figure is recomputed from what the book
captured at the time (``app.tca_book``), so the same book always prints the same report.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.book_cli import DEFAULT_SETTINGS, DbOption, JsonOption, SettingsOption, _engine, _print_json, console
from app.config import load_config
from app.tca_book import BookScores, score_book
from fixgw.errors import ConfigError
from oms.store import tca as store
from oms.store.database import BookDb
from tca.measures import display
from tca.report import exact, horizon_names, report_json
from tca.scorecard import VenueScore, markout_curve
from tca.scores import FillScore, OrderScore

PLOT_HORIZONS_S = (0, 1, 2, 3, 5, 10, 15, 20, 30, 45, 60)
"""The horizons of the ``--plot`` curves, in seconds."""
_DURATION = re.compile(r"(\d+)([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_NOT_YET = "…"


def tca(
    settings: SettingsOption = DEFAULT_SETTINGS,
    db: DbOption = None,
    venue: Annotated[str | None, typer.Option(help="Only orders routed to this venue.")] = None,
    symbol: Annotated[str | None, typer.Option(help="Only this symbol.")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only orders booked since: a UTC time (2026-12-03T07:00:00Z) or a duration back (90s, 2h)."),
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="How many of the newest orders to detail (0: all).")] = 50,
    plot: Annotated[
        Path | None, typer.Option(help="Also draw the markout curves per venue (0 to 60 s) into this PNG file.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Score executions against the prices of their moment: per-venue scorecard and per-order detail.

    Slippage (vs the arrival mid) and implementation shortfall (vs the decision price): positive is a cost.
    Markouts (the mid 1 s, 5 s and 60 s after each fill vs its price): positive is favourable, negative is adverse
    selection. Quantities weight every average. README "TCA" explains each figure.
    """
    since_ns = parse_since(since, time.time_ns()) if since is not None else None
    if plot is not None and plot.suffix.lower() != ".png":
        raise ConfigError(f"--plot {str(plot)!r}: give a .png file name")
    engine = _engine(settings, db)
    try:
        _check_filters(engine, venue, symbol, settings if db is None else None)
        scored = score_book(engine, venue=venue, symbol=symbol, since_ns=since_ns)
        curves = None
        if plot is not None:
            curved = score_book(engine, venue=venue, symbol=symbol, since_ns=since_ns, horizons_s=PLOT_HORIZONS_S)
            curves = markout_curve(curved.scores, PLOT_HORIZONS_S)
    finally:
        engine.dispose()
    if curves is not None and plot is not None:
        from app.tca_plot import draw_markouts

        draw_markouts(curves, PLOT_HORIZONS_S, plot, title=_plot_title(venue, symbol, since))
    filters = {"venue": venue, "symbol": symbol, "since_ns": since_ns}
    shown = scored.scores[-limit:] if limit else scored.scores
    if as_json:
        _print_json(report_json(scored.venues, scored.venue_symbols, shown, as_of_ns=time.time_ns(), filters=filters))
        return
    _print_tables(scored, shown)
    if plot is not None:
        console.print(f"markout curves per venue drawn in {plot}")


def parse_since(text: str, now_ns: int) -> int:
    """``--since`` as ns: a UTC time (ISO 8601; a time without offset is UTC) or a duration back from ``now_ns``."""
    if match := _DURATION.fullmatch(text.strip()):
        return now_ns - int(match[1]) * _UNIT_S[match[2]] * 1_000_000_000
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--since {text!r}: give a UTC time such as 2026-12-03T07:00:00Z or a duration back such as 90s, 15m, "
            "2h, 7d"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _check_filters(engine: BookDb, venue: str | None, symbol: str | None, settings: Path | None) -> None:
    """An unknown --venue or --symbol is an error (a typo would otherwise print an empty report)."""
    config = load_config(settings) if settings is not None and (venue or symbol) else None
    for kind, value, in_book, configured in (
        ("venue", venue, store.venues, config.venues if config else {}),
        ("symbol", symbol, store.symbols, config.instruments if config else {}),
    ):
        if value is None:
            continue
        known = set(in_book(engine)) | set(configured)
        if value not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"unknown {kind} {value!r}; {kind}s in the settings or the book: {names}")


def _print_tables(scored: BookScores, shown: list[OrderScore]) -> None:
    console.print(_scorecard_table("TCA scorecard per venue", scored.venues))
    if len(scored.venue_symbols) > len(scored.venues):
        console.print(_scorecard_table("Per venue and symbol", scored.venue_symbols))
    orders = Table(title=f"Orders ({len(shown)} of {len(scored.scores)}, newest last)")
    columns = ["OrderID", "Venue", "Symbol", "Side", "Qty", "Filled", "AvgPx", "Arrival", "Decision", "Slip bps"]
    marks = [f"MO {h}" for h in horizon_names()]
    for name in [*columns, "IS bps", "IS cash", *marks, "Fill", "Status"]:
        orders.add_column(name, justify="left" if name in ("OrderID", "Venue", "Symbol", "Side", "Status") else "right")
    for s in shown:
        o = s.order
        orders.add_row(
            o.order_id,
            o.venue or "",
            o.symbol,
            o.side.name,
            _num(o.order_qty),
            _num(s.filled_qty),
            _num(s.avg_px, 6),
            _num(s.arrival_mid),
            _num(s.decision) + ("" if o.decision_px is not None or s.decision is None else " (arr)"),
            _fig(s.slippage_bps),
            _fig(s.shortfall_bps),
            _fig(s.shortfall_cash),
            *(_fig(m, s.fills) for m in s.markouts),
            _fig(s.fill_ratio),
            o.status.name,
        )
    console.print(orders)
    console.print(
        "Slippage and IS: positive is a cost. Markouts (MO): positive is favourable, negative adverse. "
        f"{_NOT_YET} = horizon not covered by the mid series yet; blank = not known (no fill, no market data)."
    )


def _scorecard_table(title: str, rows: list[VenueScore]) -> Table:
    table = Table(title=title)
    heads = ["Venue", "Symbol", "Orders", "Rejects", "Fill ratio", "Slip bps", "IS bps", "IS cash"]
    heads += [f"MO {h}" for h in horizon_names()] + ["Ack p50 ms", "Ack p99 ms"]
    for name in heads:
        table.add_column(name, justify="left" if name in ("Venue", "Symbol") else "right")
    for v in rows:
        table.add_row(
            v.venue,
            v.symbol or "all",
            str(v.orders),
            _fig(v.reject_rate),
            _fig(v.fill_ratio),
            _fig(v.slippage_bps),
            _fig(v.shortfall_bps),
            _fig(v.shortfall_cash),
            *(_fig(m) for m in v.markouts),
            f"{v.ack.p50_ms:.3f}" if v.ack else "",
            f"{v.ack.p99_ms:.3f}" if v.ack else "",
        )
    return table


def _fig(value: Decimal | None, fills: tuple[FillScore, ...] = ()) -> str:
    """A figure to 4 decimals; a missing markout of an order with fills is "not yet", anything else blank."""
    if value is None:
        return _NOT_YET if fills else ""
    return display(value) or ""


def _num(value: Decimal | None, places: int | None = None) -> str:
    if value is None:
        return ""
    return f"{value:.{places}f}" if places is not None else exact(value) or ""


def _plot_title(venue: str | None, symbol: str | None, since: str | None) -> str:
    scope = ", ".join(f"{k} {v}" for k, v in (("venue", venue), ("symbol", symbol), ("since", since)) if v)
    return "Markouts per venue (fill-quantity weighted)" + (f": {scope}" if scope else "")
