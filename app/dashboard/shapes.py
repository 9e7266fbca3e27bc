"""What the dashboard's panels show, computed from what the gateway and the book answer: pure functions, no I/O.

Money and quantities stay ``Decimal`` and travel to the page as their exact text (``json_text``), so that the
page shows what ``fixgw positions --json`` prints, less a negative zero.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from app.marketdata_admin import mark_for
from domain.enums import OrdStatus, Side
from domain.positions import unsigned_zero
from fixgw.codec.outbound import format_decimal
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
        unrealized = unsigned_zero(r["qty"] * (mark - r["avg_cost"])) if mark is not None and r["qty"] else _ZERO
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
    """How much of each position, credit, loss and portfolio limit is used, from ``GET /risk``: position + working
    buys of the long limit, working sells - position of the short one (as ``risk.checks`` counts them), the credit
    in use, the day's loss, and each account's gross, |net| and VaR."""
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
    books = risk.get("portfolio", {})
    firm = [{"account": "firm", **books["firm"]}] if "firm" in books and "max_var" in books["firm"] else []
    for b in [*books.get("accounts", []), *firm]:
        for name, used in (
            ("max_gross_exposure", Decimal(b["gross"])),
            ("max_net_exposure", abs(Decimal(b["net"]))),
            ("max_var", Decimal(str(b["var"]))),
        ):
            if b[name] is not None:
                use.append(_use(b["account"], None, name, used, Decimal(b[name])))
    return sorted(use, key=lambda u: -u["pct"])


def portfolio_rows(risk: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each account's portfolio figures (``GET /risk``), then the firm's."""
    books = risk.get("portfolio", {})
    keys = ("gross", "net", "long", "short", "var")
    rows = [{"account": b["account"], **{k: b[k] for k in keys}} for b in books.get("accounts", [])]
    if "firm" in books:
        rows.append({"account": "firm", **{k: books["firm"][k] for k in keys}})
    return rows


def _use(account: str, symbol: str | None, name: str, used: Decimal, limit: Decimal) -> dict[str, Any]:
    pct = max(_ZERO, used) * 100 / limit
    return {"account": account, "symbol": symbol, "limit": name, "used": used, "value": limit, "pct": round(pct, 1)}


def denial_counts(denials: Mapping[str, int]) -> dict[str, Any]:
    """Denials by check (``GET /risk/denials``), most first, and their total."""
    by_check = sorted(denials.items(), key=lambda cn: (-cn[1], cn[0]))
    return {"by_check": [{"check": c, "count": n} for c, n in by_check], "total": sum(denials.values())}


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
