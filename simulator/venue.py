"""The simulated venue's FIX side: orders, cancels, replaces, status and mass cancels in; reports out; market data.

The venue itself is ``matching.exchange.Exchange``; this front decodes each message into the command the
exchange executes and encodes every report it makes back onto the member's session. Given the ``BookChanges`` its
matching engine was built with, it also serves MarketDataRequests (35=V) on any of its sessions
(``simulator.marketdata``), publishing after every command, under the same lock, what the command did to the books.

Its behaviour (``matching.behaviour``: fees, added latency, a reject ratio, adverse selection) can be changed while
it runs (``set_behaviour``). With an added latency, a member's request is decoded at once (a malformed one is still
rejected at once, 35=3) and handled later on the venue's delay line (``matching.delay``), in arrival order.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable

from domain.clock import Clock
from domain.ids import Account, SessionKey
from domain.marketdata import BookIncrement, BookSnapshot
from domain.reports import CancelReject, ExecutionReport
from fixgw.codec import marketdata, outbound
from fixgw.codec.fields import QfFields
from fixgw.codec.inbound import (
    decode_cancel_request,
    decode_mass_cancel_request,
    decode_new_order_single,
    decode_replace_request,
    decode_status_request,
)
from fixgw.errors import MarketDataRequestRefused, UnsupportedMessageType
from fixgw.session.application import FixApplication
from matching.behaviour import Behaviour, VenueBehaviour
from matching.book import MatchingEngine
from matching.changes import BookChanges
from matching.delay import DelayLine
from matching.exchange import Exchange, ExchangeCommand, VenueReport
from matching.market import HouseMarket
from simulator.marketdata import MarketDataMessage, MarketDataPublisher

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

    def __init__(
        self,
        clock: Clock,
        engine: MatchingEngine,
        symbols: Iterable[str],
        changes: BookChanges | None = None,
        *,
        behaviour: VenueBehaviour | None = None,
        house: HouseMarket | None = None,
    ) -> None:
        """``changes``: the listener ``engine`` was built with, to publish market data; None: no market data (35=V
        is answered as an unsupported message type). ``behaviour``: how this venue differs (a clean one with seed 1
        if None); ``house``: the fair values the house liquidity follows (``matching.market``; joined here), or
        None: the seeded book is left as the members' orders leave it (and adverse selection cannot be set)."""
        # The gateway dedupes every venue report by ExecID (17), so ids must stay unique across a restart of the
        # simulator (FIX: ExecID unique per day): they carry a nonce of the start time.
        nonce = f"{clock.now_ns():x}"
        super().__init__(
            clock,
            engine,
            symbols,
            self._send,
            order_id_prefix=f"{nonce}-V",
            exec_id_prefix=f"{nonce}-E",
            behaviour=behaviour or VenueBehaviour(),
        )
        self.behaviour: VenueBehaviour
        self.house = house
        self._delay = DelayLine("venue-latency")
        self._lock = threading.Lock()
        self.executions: defaultdict[str, int] = defaultdict(int)
        """ExecutionReports sent to members, by ExecType (150) value: what monitoring reads, with ``accepted``,
        ``refused`` and ``trades`` (``Exchange``), written under the lock like them."""
        self.market_data_sent: dict[str, int] = {"snapshot": 0, "increment": 0, "reject": 0}
        """Market data messages handed to the engine, by kind (35=W, 35=X, 35=Y): what monitoring reads. Counted
        under the lock, but for the 35=Y of a request refused as it was decoded: that count may miss one in a race."""
        self.app = FixApplication(self, "venue")
        self.market_data = (
            MarketDataPublisher(engine, changes, symbols, self._send_market_data, clock)
            if changes is not None
            else None
        )
        if house is not None:
            house.join("venue", engine, self._publish)

    def on_logon(self, session: SessionKey) -> None:
        """Nothing to do when a member logs on."""

    def on_logout(self, session: SessionKey) -> None:
        """Orders stay on the book when a member disconnects (no cancel-on-disconnect at this venue); its market
        data subscriptions end (without our lock: see ``simulator.marketdata``)."""
        if self.market_data is not None:
            self.market_data.session_ended(session)

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Handle NewOrderSingle (D), cancel (F), replace (G), status (H), mass cancel (q) and MarketDataRequest
        (V)."""
        if msg_type == "V" and self.market_data is not None:
            self._market_data_request(session, fields)
            return
        decoder = _DECODERS.get(msg_type)
        if decoder is None:
            raise UnsupportedMessageType(msg_type)
        command = decoder(fields, session, self._clock)
        delay = self.behaviour.latency_ns
        if delay or self._delay.pending():  # behind what is already delayed, even once the latency is 0 again
            self.behaviour.counters.delayed += 1
            self._delay.run_after(delay, lambda: self._run(command))
        else:
            self._run(command)

    def _run(self, command: ExchangeCommand) -> None:
        with self._lock:
            self.execute(command)
            self.settle_member_fills()
            self._publish()

    def settle_member_fills(self) -> None:
        """After a command or a step of the order flow (call with ``locked()`` held): move the fair value against
        the members' fills (adverse selection) and rest the house liquidity again."""
        fills = self.drain_member_fills()
        if self.house is not None:
            self.house.after_command(fills, self.behaviour)

    def set_behaviour(self, settings: Behaviour) -> None:
        """Apply ``settings`` from the next request on (what is already delayed keeps its place); refuse adverse
        selection when the venue keeps no house ladder (``[simulator.behaviour]`` absent and no order flow)."""
        if settings.adverse_bps and self.house is None:
            raise ValueError(
                "this venue keeps no house ladder to move: add a [simulator.behaviour] section (or run its order flow)"
            )
        with self._lock:
            self.behaviour.set(settings)

    def stop_delays(self) -> None:
        """Stop the delay line: requests still delayed are dropped (the venue is stopping)."""
        self._delay.stop()

    def _market_data_request(self, session: SessionKey, fields: QfFields) -> None:
        assert self.market_data is not None
        try:
            request = marketdata.decode_market_data_request(fields, session, self._clock)
        except MarketDataRequestRefused as refused:
            self._send_market_data(session, refused.reject(session))
            return
        with self._lock:
            self.market_data.request(request)

    def refresh_market_data(self) -> None:
        """Send every market data subscriber a fresh snapshot of each of its symbols (a quiet book stays fresh)."""
        if self.market_data is not None:
            with self._lock:
                self.market_data.refresh()

    def market_data_rpt_seqs(self, session: SessionKey, md_req_id: str) -> dict[str, int]:
        """The RptSeq (83) each symbol of a subscription has reached, once the command running now is published."""
        if self.market_data is None:
            return {}
        with self._lock:
            return self.market_data.rpt_seqs(session, md_req_id)

    def cancel_unsolicited(self, cl_ord_id: str, text: str = "canceled by the venue") -> bool:
        """Cancel a resting order on the venue's own initiative (150=4 with no request); False if not resting."""
        with self._lock:
            canceled = super().cancel_unsolicited(cl_ord_id, text)
            self._publish()
            return canceled

    def end_of_day(self) -> int:
        """Close every resting DAY order (150=3 Done for day); return how many."""
        with self._lock:
            closed = super().end_of_day()
            self._publish()
            return closed

    def locked(self) -> threading.Lock:
        """The lock every command runs under: hold it to read the books as a whole, or to change the house liquidity
        as an order would (then ``publish_market_data``), e.g. in a benchmark or a test."""
        return self._lock

    def publish_market_data(self) -> None:
        """Publish what changed in the books since the last command (call with ``locked()`` held)."""
        self._publish()

    def _publish(self) -> None:
        if self.market_data is not None:
            self.market_data.publish()

    def _send_market_data(self, session: SessionKey, message: MarketDataMessage) -> None:
        # Sent only while the member is logged on: market data stored for a resend after its next logon would be
        # stale (it gets a new snapshot when it subscribes again).
        if isinstance(message, BookIncrement):
            encoded, kind = marketdata.incremental_refresh(message), "increment"
        elif isinstance(message, BookSnapshot):
            encoded, kind = marketdata.snapshot_full_refresh(message), "snapshot"
        else:
            encoded, kind = marketdata.market_data_request_reject(message), "reject"
        if self.app.send(session, encoded):
            self.market_data_sent[kind] += 1

    def _send(self, report: VenueReport) -> None:
        if isinstance(report, ExecutionReport):
            message = outbound.execution_report(report)
            self.executions[report.exec_type.value] += 1
        elif isinstance(report, CancelReject):
            message = outbound.order_cancel_reject(report)
        else:
            message = outbound.mass_cancel_report(report)
        self.app.send(report.session, message, require_logon=False)
