"""One side's working order as the market maker knows it, and what each report does to it.

A quote has at most one request in flight (FIX 4.4 Appendix D: one pending cancel or replace at a time), and the
maker sends nothing for a side while one is: its next decision waits for the answer. The quote is found by the
order's last accepted ClOrdID (11), or by the ClOrdID of its request in flight (a 150=5 or 35=9 answers that one).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain.enums import CxlRejReason, ExecType, OrdStatus, Side
from domain.ids import ClOrdId
from domain.reports import BusinessReject, CancelReject, ClientReport, ExecutionReport
from strategy.denials import DenialKind, classify

_ZERO = Decimal(0)
_CLOSING = frozenset({ExecType.CANCELED, ExecType.EXPIRED, ExecType.DONE_FOR_DAY})
_ORDER_GONE = frozenset({CxlRejReason.TOO_LATE_TO_CANCEL, CxlRejReason.UNKNOWN_ORDER})
_NOT_A_DENIAL = frozenset({CxlRejReason.ALREADY_PENDING, CxlRejReason.DUPLICATE_CL_ORD_ID})


class QuoteStatus(StrEnum):
    """Where a quote's order stands."""

    PENDING_NEW = "pending_new"
    WORKING = "working"
    PENDING_REPLACE = "pending_replace"
    PENDING_CANCEL = "pending_cancel"


@dataclass(slots=True)
class Quote:
    """One side's order: its terms, what filled, the request in flight."""

    side: Side
    cl_ord_id: ClOrdId
    """The order's last accepted ClOrdID (11): the OrigClOrdID (41) of its next request."""
    price: Decimal
    order_qty: Decimal
    reservation: Decimal
    """The reservation price it was priced at: it moves when that has moved by ``requote_ticks``."""
    status: QuoteStatus = QuoteStatus.PENDING_NEW
    cum_qty: Decimal = _ZERO
    request: ClOrdId | None = None
    """ClOrdID (11) of the replace or cancel in flight."""
    new_price: Decimal | None = None
    new_qty: Decimal | None = None
    new_reservation: Decimal | None = None
    epoch: int = 0
    """The maker's idle count when its last order or request was sent: only an answer to one sent since the last
    idle spell shows that what refused it has been lifted."""

    def matches(self, cl_ord_id: ClOrdId) -> bool:
        """The report or refusal is about this order or its request in flight."""
        return cl_ord_id == self.cl_ord_id or (self.request is not None and cl_ord_id == self.request)

    def asked_replace(self, request: ClOrdId, qty: Decimal, price: Decimal, reservation: Decimal) -> None:
        """A replace (35=G) was sent."""
        self.status, self.request = QuoteStatus.PENDING_REPLACE, request
        self.new_qty, self.new_price, self.new_reservation = qty, price, reservation

    def asked_cancel(self, request: ClOrdId) -> None:
        """A cancel (35=F) was sent."""
        self.status, self.request = QuoteStatus.PENDING_CANCEL, request

    def request_done(self) -> None:
        """The request in flight was refused or never sent: the order works on as it was."""
        self.status, self.request = QuoteStatus.WORKING, None
        self.new_qty = self.new_price = self.new_reservation = None

    def json(self) -> dict[str, object]:
        """For ``fixgw strategy show``."""
        return {
            "cl_ord_id": self.cl_ord_id,
            "price": str(self.price),
            "order_qty": str(self.order_qty),
            "cum_qty": str(self.cum_qty),
            "status": self.status.value,
            "new_price": None if self.new_price is None else str(self.new_price),
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a report did to a quote."""

    closed: bool = False
    """The order works no more: the side has no quote."""
    accepted: bool = False
    """A new order or a replace went through (150=0, 150=5): the denials in a row end."""
    denial: DenialKind | None = None
    text: str | None = None


NOTHING = Outcome()


def apply_report(quote: Quote, report: ClientReport) -> Outcome:
    """Fold one report about ``quote`` (``Quote.matches``) into it."""
    if isinstance(report, ExecutionReport):
        return _execution(quote, report)
    if isinstance(report, CancelReject):
        return _cancel_reject(quote, report)
    if isinstance(report, BusinessReject):  # the book of record refused the message (quarantined, issue 12)
        if quote.status is QuoteStatus.PENDING_NEW:
            return Outcome(closed=True, denial=DenialKind.OTHER, text=report.text)
        quote.request_done()
        return Outcome(denial=DenialKind.OTHER, text=report.text)
    return NOTHING


def _execution(quote: Quote, report: ExecutionReport) -> Outcome:
    kind = report.exec_type
    if kind is ExecType.NEW:
        if quote.status is QuoteStatus.PENDING_NEW:
            quote.status = QuoteStatus.WORKING
        return Outcome(accepted=True)
    if kind is ExecType.TRADE:
        quote.cum_qty = report.cum_qty
        return Outcome(closed=report.ord_status is OrdStatus.FILLED)
    if kind is ExecType.REPLACED:
        quote.cl_ord_id = report.cl_ord_id
        quote.price = report.price if report.price is not None else quote.price
        quote.order_qty, quote.cum_qty = report.order_qty, report.cum_qty
        if quote.new_reservation is not None:
            quote.reservation = quote.new_reservation
        quote.request_done()
        return Outcome(closed=report.ord_status is OrdStatus.FILLED, accepted=True)
    if kind in _CLOSING:
        return Outcome(closed=True)
    if kind is ExecType.REJECTED:
        return Outcome(closed=True, denial=classify(report.ord_rej_reason, report.text), text=report.text)
    return NOTHING  # 150=6 / 150=E acknowledge the request; 150=I answers a status request


def _cancel_reject(quote: Quote, report: CancelReject) -> Outcome:
    if report.cl_ord_id != quote.request:
        return NOTHING
    quote.request_done()
    if report.reason in _ORDER_GONE:  # its end (a fill, a cancel) was reported before this reject
        return Outcome(closed=True)
    if report.reason in _NOT_A_DENIAL:
        return NOTHING
    return Outcome(denial=classify(None, report.text), text=report.text)
