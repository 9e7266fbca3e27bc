"""The time priority working orders had at an internal venue, from the book of record's audit rows (a restart
rests them again in that order)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import msgspec

from domain.order import Order


def time_priority(orders: Iterable[Order], requests: Iterable[dict[str, Any]]) -> list[Order]:
    """``orders`` in the time priority they had at their venue, from the audit rows of what was sent there.

    ``requests``: the audit rows (id, order_id, msg_type, body) of the orders (35=D) and replaces (35=G) sent
    to the venue, in the order they were written. An order's place in the queue dates from its last 35=D,
    or from its last replace that lost it: the exchange keeps an order's place when a replace only lowers the
    quantity (``matching.book.OrderBook.replace``). A 35=G row holds the order's terms when the replace
    was sent, so a replace was applied exactly when the terms differ at the next row (or now), and it lost the
    place when the price changed or the quantity grew. Rows get ids in the order the OMS wrote them, which
    is the order the venue executed them in.
    """
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in requests:
        rows.setdefault(row["order_id"], []).append(row)
    keyed = [(_priority(order, rows.get(order.order_id, [])), int(order.order_id[1:]), order) for order in orders]
    return [order for *_, order in sorted(keyed, key=lambda k: (k[0], k[1]))]


def _priority(order: Order, rows: list[dict[str, Any]]) -> int:
    since = 0
    sent: tuple[int, tuple[Decimal, Decimal | None]] | None = None  # the last replace and the terms before it
    for row in sorted(rows, key=lambda r: int(r["id"])):
        if row["msg_type"] == "D":
            since, sent = int(row["id"]), None
            continue
        body = msgspec.json.decode(row["body"])
        terms = (Decimal(body["order_qty"]), None if body["price"] == "None" else Decimal(body["price"]))
        if sent is not None and _lost_place(sent[1], terms):
            since = sent[0]
        sent = (int(row["id"]), terms)
    if sent is not None and _lost_place(sent[1], (order.order_qty, order.price)):
        since = sent[0]
    return since


def _lost_place(before: tuple[Decimal, Decimal | None], after: tuple[Decimal, Decimal | None]) -> bool:
    return after[1] != before[1] or after[0] > before[0]
