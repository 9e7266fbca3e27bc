"""Where each panel of the dashboard is read from, and how often.

Sources: the gateway's admin API, found through its token file as the CLI finds it, and the book of record,
opened read-only as ``fixgw orders`` and ``fixgw positions`` read it. The blotter and the sessions are read every
tick, so that a new order shows within a second; the other panels every few ticks (they change slowly, and each
read is a request the gateway answers).
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, Final

from app.admin import AdminClient
from app.config import GatewayConfig
from app.dashboard.auth import TokenFile
from app.dashboard.shapes import (
    MessageRates,
    account_pnl,
    denial_counts,
    fill_row,
    limit_use,
    marked_positions,
    order_row,
    portfolio_rows,
)
from app.marketdata_admin import mark_for
from app.tca_book import score_book
from fixgw.errors import ConfigError
from oms.store import repository
from oms.store.blotter import recent_fills, working_orders
from oms.store.database import BookDb, connect
from tca.report import venue_json

log = logging.getLogger("fixgw.dashboard")
RECENT_ORDERS: Final = 50
"""Orders of any status the blotter shows besides the working ones."""
RECENT_FILLS: Final = 50
BOOK_DEPTH: Final = 5
ADMIN_TIMEOUT_S: Final = 2.0
FAST: Final = ("orders", "fills", "sessions")
EVERY: Final = {"health": 2, "positions": 2, "risk": 2, "books": 2, "latency": 10, "tca": 25}
"""Panels read every N ticks (each is read on the first tick too)."""
TCA_WINDOW_S: Final = 900
"""The TCA scorecard covers the orders booked in the last this many seconds (scored from the book at each read:
a window keeps that read short however big the book grows)."""


class Unavailable(Exception):
    """A panel's source did not answer (no gateway running, no book yet): the page shows why."""


class Sources:
    """The running gateway's admin API and its book of record (read-only), as its settings say where they are."""

    def __init__(self, config: GatewayConfig, who: str) -> None:
        """``who``: the operator as the audit trail names the dashboard's controls (``dashboard:<os user>``)."""
        self.token_file = TokenFile(config.admin_token_path())
        self.who = who
        self._database_url = config.database_url()
        self._db: BookDb | None = None
        self.settings = {
            "accounts": sorted({a for c in config.clients.values() for a in c.accounts}),
            "clients": sorted(config.clients),
            "instruments": sorted(config.instruments),
            "venues": sorted(config.venues),
            "who": who,
        }

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        """One admin API request: (HTTP status, JSON answer); Unavailable when the gateway does not answer."""
        try:
            return AdminClient(self.token_file.path).call(method, path, body, timeout=ADMIN_TIMEOUT_S)
        except (ConfigError, ValueError) as exc:  # no token file, nobody listening, or not JSON
            raise Unavailable(str(exc)) from None

    def get(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """``GET path``'s answer; Unavailable unless it is a 200."""
        status, answer = self.call("GET", path, body)
        if status != 200:
            raise Unavailable(answer.get("error", f"the gateway answered HTTP {status} to GET {path}"))
        return answer

    def book(self) -> BookDb:
        """The book of record, opened read-only on first use."""
        if self._db is None:
            try:
                self._db = connect(self._database_url, read_only=True)
            except ConfigError as exc:  # no database yet: try again on the next read
                raise Unavailable(str(exc)) from None
        return self._db

    def close(self) -> None:
        """Close the book's connections."""
        if self._db is not None:
            self._db.dispose()
            self._db = None


class Panels:
    """Read the panels due at a tick; each answers its data, or ``{"error": why}``."""

    def __init__(self, sources: Sources, clock: Callable[[], float] = time.monotonic) -> None:
        self._sources = sources
        self._clock = clock
        self._lock = threading.Lock()
        """One read at a time: the panels keep cursors and rates from one read to the next."""
        self._working_from = 0
        """The lowest order seq that may still be working (``oms.store.blotter``)."""
        self._rates = MessageRates()
        self._readers: dict[str, Callable[[], dict[str, Any]]] = {
            "config": lambda: sources.settings,
            "orders": self._orders,
            "fills": lambda: {"fills": [fill_row(r) for r in recent_fills(sources.book(), RECENT_FILLS)]},
            "sessions": self._sessions,
            "health": self._health,
            "positions": self._positions,
            "risk": self._risk,
            "books": self._books,
            "latency": self._latency,
            "tca": self._tca,
        }

    def due(self, tick: int) -> list[str]:
        """The panels to read at ``tick`` (0: all of them)."""
        first = ["config"] if tick == 0 else []
        return [*first, *FAST, *(name for name, every in EVERY.items() if tick % every == 0)]

    def read(self, names: list[str]) -> dict[str, Any]:
        """Each named panel's data, or ``{"error": ...}`` saying why it could not be read."""
        with self._lock:
            return {name: self._read(name) for name in names}

    def _read(self, name: str) -> dict[str, Any]:
        try:
            return self._readers[name]()
        except Unavailable as exc:
            return {"error": str(exc)}
        except Exception as exc:  # e.g. the database busy: that panel says so, the others go on
            log.debug("dashboard panel %s", name, exc_info=True)
            first = str(exc).strip().splitlines()
            return {"error": f"{type(exc).__name__}: {first[0] if first else ''}"}

    def _orders(self) -> dict[str, Any]:
        db = self._sources.book()
        working = working_orders(db, self._working_from)
        newest = repository.recent_orders(db, RECENT_ORDERS)
        rows = {r["order_id"]: order_row(r) | {"seq": r["seq"]} for r in (*newest, *working)}
        seqs = [r["seq"] for r in rows.values()]
        still = [r["seq"] for r in rows.values() if r["working"]]
        # Read after the working orders: an order booked in between is among the newest, and counted here.
        self._working_from = min(still) if still else max(seqs, default=-1) + 1
        shown = sorted(rows.values(), key=lambda r: -int(r["seq"]))
        return {"orders": shown, "working": len(still)}

    def _sessions(self) -> dict[str, Any]:
        sessions = self._sources.get("/sessions")["sessions"]
        return {"sessions": self._rates.add(sessions, self._clock())}

    def _health(self) -> dict[str, Any]:
        status, answer = self._sources.call("GET", "/health")  # 503 while degraded: still the answer to show
        if "venues" not in answer:
            raise Unavailable(answer.get("error", f"the gateway answered HTTP {status} to GET /health"))
        return {"status": answer["status"], "venues": answer["venues"], "journal": answer["journal"]}

    def _positions(self) -> dict[str, Any]:
        db = self._sources.book()
        rows = repository.load_positions(db)
        try:
            live = self._sources.get("/marks") if rows else {}
        except Unavailable:  # as fixgw positions: without a gateway, marked to the book's last fills
            live = {}
        unmarked = any(mark_for(r["symbol"], live, None)[0] is None for r in rows)
        positions = marked_positions(rows, live, repository.last_prices(db) if unmarked else {})
        keep = ("account", "symbol", "qty", "avg_cost", "mark", "mark_source", "realized_pnl", "unrealized_pnl")
        shown = [{k: p[k] for k in (*keep, "fees", "bought_qty", "sold_qty")} for p in positions]
        return {"positions": shown, "accounts": account_pnl(positions)}

    def _risk(self) -> dict[str, Any]:
        risk = self._sources.get("/risk")
        return {
            "controls": risk["controls"],
            "usage": limit_use(risk),
            "portfolio": portfolio_rows(risk),
            "denials": denial_counts(self._sources.get("/risk/denials")["denials"]),
            "trading_day_start": risk["trading_day_start"],
            "audit": risk["audit"][::-1][:10],  # newest first
        }

    def _books(self) -> dict[str, Any]:
        books = {}
        for symbol in self._sources.settings["instruments"]:
            answer = self._sources.get(f"/book/{urllib.parse.quote(symbol, safe='')}", {"depth": BOOK_DEPTH})
            keep = ("bids", "asks", "best_bid", "best_ask", "mid", "mid_unavailable", "last_trade", "venues")
            books[symbol] = {k: answer.get(k) for k in keep}
        return {"books": books}

    def _latency(self) -> dict[str, Any]:
        answer = self._sources.get("/metrics/hops/recent")  # not /metrics/hops: app.dashboard_routes says why
        hops = answer["hops"]
        return {
            "recent": answer["recent"],
            "hops": [
                {"hop": hop} | {k: v for k, v in figures.items() if k != "buckets"} for hop, figures in hops.items()
            ],
            "edges_us": answer["edges_us"],
            "histogram": {hop: figures["buckets"] for hop, figures in hops.items()},
        }

    def _tca(self) -> dict[str, Any]:
        """The venue scorecard of ``fixgw tca`` over the last ``TCA_WINDOW_S`` (app.tca_book, from the book)."""
        since = time.time_ns() - TCA_WINDOW_S * 1_000_000_000
        scored = score_book(self._sources.book(), since_ns=since)
        return {"window_s": TCA_WINDOW_S, "venues": [venue_json(v) for v in scored.venues]}
