"""What the dashboard's panels show, computed from what the gateway and the book answer: pure functions, no I/O.

Money and quantities stay ``Decimal`` and travel to the page as their exact text (``json_text``), so that the
page shows what ``fixgw positions --json`` prints, less a negative zero.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.marketdata_admin import mark_for
from domain.enums import OrdStatus, Side
from fixgw.codec.outbound import format_decimal
from risk.denials import check_of
from risk.limits import RiskLimits

_ZERO = Decimal(0)


def json_text(payload: object) -> str:
    """``payload`` as compact JSON, a Decimal as its exact text (never ``-0``)."""
    return json.dumps(payload, default=_plain, separators=(",", ":"))


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return str(abs(value) if value == _ZERO else value)
    return str(value)


def order_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """An order of the book as the blotter shows it (status and side by name, as ``fixgw orders`` does)."""
    status = OrdStatus(row["status"])
    return {
        "order_id": row["order_id"],
        "cl_ord_id": row["cl_ord_id"],
        "account": row["account"],
        "symbol": row["symbol"],
        "side": Side(row["side"]).name,
        "order_qty": _num(row["order_qty"]),
        "price": _num(row["price"]),
        "status": status.name,
        "working": not status.is_terminal,
        "cum_qty": _num(row["cum_qty"]),
        "leaves_qty": _num(row["leaves_qty"]),
        "avg_px": _num(row["avg_px"]),
        "venue": row["venue"],
        "text": row["text"],
        "created_ns": row["created_ns"],
        "updated_ns": row["updated_ns"],
    }


def fill_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """An execution as the blotter shows it."""
    keep = ("exec_id", "order_id", "venue", "account", "symbol", "ts_ns")
    shown = {"side": Side(row["side"]).name, "last_qty": _num(row["last_qty"]), "last_px": _num(row["last_px"])}
    return {k: row[k] for k in keep} | shown


def _num(value: Decimal | None) -> str | None:
    """A price or quantity as ``fixgw orders`` shows it: no exponent, no trailing zeros."""
    return None if value is None else format_decimal(value)


def marked_positions(
    rows: list[dict[str, Any]], live: Mapping[str, Mapping[str, str | None]], fills: Mapping[str, Decimal]
) -> list[dict[str, Any]]:
    """Positions marked as ``fixgw positions`` marks them: the live mid, else the live last trade, else the last
    fill in the book (``fills``), else the position's own mark; unrealized = qty x (mark - average cost)."""
    marked = []
    for r in rows:
        mark, source = mark_for(r["symbol"], live, fills.get(r["symbol"], r["mark"]))
        unrealized = r["qty"] * (mark - r["avg_cost"]) if mark is not None and r["qty"] else _ZERO
        marked.append(r | {"mark": mark, "mark_source": source, "unrealized_pnl": unrealized})
    return marked


def account_pnl(positions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Realized, unrealized and total P&L per account."""
    totals: dict[str, list[Decimal]] = {}
    for p in positions:
        realized, unrealized = totals.setdefault(p["account"], [_ZERO, _ZERO])
        totals[p["account"]] = [realized + p["realized_pnl"], unrealized + p["unrealized_pnl"]]
    return [
        {"account": a, "realized_pnl": r, "unrealized_pnl": u, "total_pnl": r + u}
        for a, (r, u) in sorted(totals.items())
    ]


def limit_use(risk: Mapping[str, Any]) -> list[dict[str, Any]]:
    """How much of each position, credit and loss limit is used, from ``GET /risk``: position + working buys of
    the long limit, working sells - position of the short one (as ``risk.checks`` counts them), the credit in use,
    and the day's loss."""
    limits = RiskLimits.model_validate(risk["limits"])
    use: list[dict[str, Any]] = []
    for e in risk["exposure"]:
        applies = limits.effective(e["account"], e["symbol"])
        position = Decimal(e["position"])
        long_used = position + Decimal(e["working_buy"])
        short_used = Decimal(e["working_sell"]) - position
        for name, used, limit in (
            ("max_long_qty", long_used, applies.max_long_qty),
            ("max_short_qty", short_used, applies.max_short_qty),
        ):
            if limit is not None:
                use.append(_use(e["account"], e["symbol"], name, used, limit))
    for a in risk["accounts"]:
        applies = limits.effective(a["account"], "")
        loss = max(_ZERO, -Decimal(a["pnl_for_loss_limit"]))
        for name, used, limit in (
            ("credit_limit", Decimal(a["credit_used"]), applies.credit_limit),
            ("max_daily_loss", loss, applies.max_daily_loss),
        ):
            if limit is not None:
                use.append(_use(a["account"], None, name, used, limit))
    return sorted(use, key=lambda u: -u["pct"])


def _use(account: str, symbol: str | None, name: str, used: Decimal, limit: Decimal) -> dict[str, Any]:
    pct = max(_ZERO, used) * 100 / limit
    return {"account": account, "symbol": symbol, "limit": name, "used": used, "value": limit, "pct": round(pct, 1)}


def day_start_ns(iso: str) -> int:
    """The trading day's start as ``GET /risk`` gives it (ISO 8601, UTC), in ns since the epoch."""
    return int(datetime.fromisoformat(iso).timestamp()) * 1_000_000_000


class DenialCounts:
    """The day's risk denials by check, counted once each as the book's rejected orders come in."""

    LATEST = 8

    def __init__(self) -> None:
        self.day_start_ns: int | None = None
        self.after_seq = 0
        """The last order counted: the next read starts after it."""
        self.by_check: Counter[str] = Counter()
        self.latest: deque[dict[str, Any]] = deque(maxlen=self.LATEST)

    def start_day(self, day_start_ns: int) -> None:
        """Count from zero for the trading day that starts at ``day_start_ns``."""
        self.day_start_ns, self.after_seq = day_start_ns, 0
        self.by_check.clear()
        self.latest.clear()

    def add(self, denials: Iterable[tuple[int, str | None]]) -> None:
        """Count ``(seq, Text)`` of denied orders, oldest first."""
        for seq, text in denials:
            self.by_check[check_of(text)] += 1
            self.latest.appendleft({"check": check_of(text), "text": text})
            self.after_seq = seq

    def view(self) -> dict[str, Any]:
        """The counts, most first, with the total and the newest denials' texts."""
        checks = [{"check": c, "count": n} for c, n in sorted(self.by_check.items(), key=lambda cn: (-cn[1], cn[0]))]
        return {"by_check": checks, "total": sum(self.by_check.values()), "latest": list(self.latest)}


class MessageRates:
    """Messages per second of each session, over the last ``window_s`` or so of its counters (a read every 0.4 s
    would otherwise swing between 0 and a burst with each heartbeat or book refresh)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self._window_s = window_s
        self._reads: dict[str, deque[tuple[float, int, int]]] = {}

    def add(self, sessions: list[dict[str, Any]], now_s: float) -> list[dict[str, Any]]:
        """``sessions`` (``GET /sessions``) with ``in_per_s`` and ``out_per_s`` (None on the first read)."""
        shown = []
        for s in sessions:
            reads = self._reads.setdefault(s["session"], deque())
            while len(reads) > 1 and now_s - reads[1][0] >= self._window_s:
                reads.popleft()  # the oldest kept is the newest read at least a window ago
            rates: dict[str, float | None] = {"in_per_s": None, "out_per_s": None}
            if reads and now_s > reads[0][0]:
                then, was_in, was_out = reads[0]
                rates = {
                    "in_per_s": round(max(0, s["messages_in"] - was_in) / (now_s - then), 1),
                    "out_per_s": round(max(0, s["messages_out"] - was_out) / (now_s - then), 1),
                }
            reads.append((now_s, s["messages_in"], s["messages_out"]))
            shown.append(s | rates)
        return shown
