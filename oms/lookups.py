"""Questions about retired orders: answered from the book of record, off the order path, and never lost.

An order that can no longer change leaves memory (``oms.book``); a status request about it, or a cancel or replace
that comes too late, is answered from its row, read after everything before it is committed (``FindRetired``, the
journal's thread), then handed back under the bus lock.

The answer thus comes after the commit of the request's receipt. A crash in between once lost it for good (the
receipt was committed, so the client was never asked to resend): the answer is now *owed* durably. The owed row
(``pending_lookups``) commits with the receipt and is deleted in the transaction of the answer; at start the
gateway asks again for every answer still owed (``AnswerAgain``).
"""

from __future__ import annotations

from collections.abc import Callable

from domain.clock import Clock
from domain.commands import CancelOrder, QueryOrder, ReplaceOrder
from domain.ids import ClOrdId, OrderId
from domain.order import Order
from oms.book import Book
from oms.ports import FindRetired, Found, Journal
from oms.rows import owed_row


class RetiredLookups:
    """Ask the book of record about retired orders, owing each answer until it is given."""

    def __init__(
        self,
        clock: Clock,
        journal: Journal,
        book: Book,
        incarnation: int,
        find: FindRetired | None,
        issued: Callable[[OrderId], bool],
    ) -> None:
        """``find``: the look-up (None: nothing is ever retired to look up, tests); ``issued``: whether an OrderID
        is one this book gave (so it may be asked about)."""
        self._clock = clock
        self._journal = journal
        self._book = book
        self._find = find
        self._issued = issued
        self._prefix = f"ASK-{incarnation}-"
        self._asked = 0

    def ask(
        self,
        command: QueryOrder | CancelOrder | ReplaceOrder,
        cl_ord_id: ClOrdId,
        order_id: OrderId | None,
        then: Found,
    ) -> bool:
        """Look up the retired order named by ``cl_ord_id`` (or ``order_id``) and call ``then``; False if none is."""
        session = command.session
        retired = self._book.retired.get(session)
        named = retired is not None and cl_ord_id in retired
        if self._find is None or not (named or (order_id is not None and self._issued(order_id))):
            return False
        self._asked += 1  # unique for good, as ExecIDs are: this start's incarnation and a count
        key = f"{self._prefix}{self._asked}"
        self._journal.append(owe=owed_row(key, command, self._clock.now_ns()))

        def answer(found: Order | None) -> None:
            with self._journal.atomic():
                then(found)
                self._journal.append(owed=key)

        self._find(session, cl_ord_id if named else None, None if named else order_id, answer)
        return True
