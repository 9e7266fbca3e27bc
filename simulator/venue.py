"""The simulated venue's FIX side: orders, cancels, replaces, status and mass cancels in; reports out.

The venue itself is ``matching.exchange.Exchange``; this front decodes each message into the command the
exchange executes and encodes every report it makes back onto the member's session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from domain.clock import Clock
from domain.ids import Account, SessionKey
from domain.reports import CancelReject, ExecutionReport
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields
from fixgw.codec.inbound import (
    decode_cancel_request,
    decode_mass_cancel_request,
    decode_new_order_single,
    decode_replace_request,
    decode_status_request,
)
from fixgw.errors import UnsupportedMessageType
from fixgw.session.application import FixApplication
from matching.book import MatchingEngine
from matching.exchange import Exchange, ExchangeCommand, VenueReport

_NO_ACCOUNT = Account("")
_DECODERS: dict[str, Callable[[QfFields, SessionKey, Clock], ExchangeCommand]] = {
    "D": lambda f, s, c: decode_new_order_single(f, s, _NO_ACCOUNT, c),
    "F": decode_cancel_request,
    "G": lambda f, s, c: decode_replace_request(f, s, _NO_ACCOUNT, c),
    "H": decode_status_request,
    "q": decode_mass_cancel_request,
}


class VenueSimulator(Exchange):
    """The exchange behind a FIX acceptor: one member per session."""

    def __init__(self, clock: Clock, engine: MatchingEngine, symbols: Iterable[str]) -> None:
        # The gateway dedupes every venue report by ExecID (17), so ids must stay unique across a restart of the
        # simulator (FIX: ExecID unique per day): they carry a nonce of the start time.
        nonce = f"{clock.now_ns():x}"
        super().__init__(clock, engine, symbols, self._send, order_id_prefix=f"{nonce}-V", exec_id_prefix=f"{nonce}-E")
        self._lock = threading.Lock()
        self.app = FixApplication(self, "venue")

    def on_logon(self, session: SessionKey) -> None:
        """Nothing to do when a member logs on."""

    def on_logout(self, session: SessionKey) -> None:
        """Orders stay on the book when a member disconnects (no cancel-on-disconnect at this venue)."""

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Handle NewOrderSingle (D), cancel (F), replace (G), status (H) and mass cancel (q)."""
        decoder = _DECODERS.get(msg_type)
        if decoder is None:
            raise UnsupportedMessageType(msg_type)
        command = decoder(fields, session, self._clock)
        with self._lock:
            self.execute(command)

    def cancel_unsolicited(self, cl_ord_id: str, text: str = "canceled by the venue") -> bool:
        """Cancel a resting order on the venue's own initiative (150=4 with no request); False if not resting."""
        with self._lock:
            return super().cancel_unsolicited(cl_ord_id, text)

    def end_of_day(self) -> int:
        """Close every resting DAY order (150=3 Done for day); return how many."""
        with self._lock:
            return super().end_of_day()

    def _send(self, report: VenueReport) -> None:
        if isinstance(report, ExecutionReport):
            message = outbound.execution_report(report)
        elif isinstance(report, CancelReject):
            message = outbound.order_cancel_reject(report)
        else:
            message = outbound.mass_cancel_report(report)
        self.app.send(report.session, message, require_logon=False)
