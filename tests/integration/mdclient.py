"""A market data subscriber over a real quickfix initiator session, for tests: sends 35=V, decodes what comes back
with ``fixgw.codec.marketdata`` and rebuilds the books strictly (``tests.mdbook``)."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from pathlib import Path

import quickfix

from domain.clock import LiveClock
from domain.ids import SessionKey, Symbol, VenueId
from domain.marketdata import (
    BookIncrement,
    BookSnapshot,
    MarketDataReject,
    MarketDataRequest,
    MDEntryType,
    SubscriptionRequestType,
)
from fixgw.codec import marketdata
from fixgw.codec.fields import QfFields
from fixgw.errors import UnsupportedMessageType
from fixgw.session.application import FixApplication
from fixgw.session.connector import Connector
from fixgw.session.settings import SessionsFile
from tests.conftest import ROOT
from tests.mdbook import ReferenceBooks

VENUE = VenueId("VENUE")
Received = BookSnapshot | BookIncrement | MarketDataReject | tuple[str, dict[int, str]]
"""A decoded message, or (MsgType, fields) of an admin message such as a session Reject (35=3)."""


def mirrored(venue: SessionsFile, target_comp_id: str, work_dir: Path) -> SessionsFile:
    """The initiator session that connects to the venue's acceptor session for ``target_comp_id`` (its SenderCompID)."""
    for config in venue.resolved().of_type("acceptor"):
        if config["SenderCompID"] == target_comp_id:
            own = {
                "ConnectionType": "initiator",
                "BeginString": config["BeginString"],
                "SenderCompID": config["TargetCompID"],
                "TargetCompID": target_comp_id,
                "SocketConnectHost": "127.0.0.1",
                "SocketConnectPort": config["SocketAcceptPort"],
                "HeartBtInt": "30",
                "ReconnectInterval": "1",
            }
            defaults = {k: v for k in ("StartTime", "EndTime", "UseDataDictionary") if (v := config.get(k))}
            defaults |= {
                "DataDictionary": str(ROOT / "specs" / "FIX44.xml"),
                "FileStorePath": str(work_dir / "store"),
                "FileLogPath": str(work_dir / "log"),
            }
            return SessionsFile(defaults, [own], work_dir)
    raise LookupError(f"no acceptor session {target_comp_id} in the venue's sessions")


class MarketDataClient:
    """Subscribe and keep everything the venue publishes, decoded, in arrival order."""

    def __init__(self, sessions: SessionsFile) -> None:
        self.app = FixApplication(self, "md-client", observe_admin=True)
        self.connector = Connector(self.app, sessions, "initiator", sessions.base_dir)
        self.session = SessionKey(next(sessions.configs()).key)
        self.inbox: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self.received: list[Received] = []
        self.books: dict[str, ReferenceBooks] = {}
        """Per MDReqID: the books rebuilt from its snapshots and increments, as they are drained."""
        self.logouts = 0
        self._clock = LiveClock()

    # SessionHandler
    def on_logon(self, session: SessionKey) -> None:
        """Nothing to do on logon."""

    def on_logout(self, session: SessionKey) -> None:
        """Count logouts: the tests expect none."""
        self.logouts += 1

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Decode market data; keep admin messages as fields."""
        if msg_type == "W":
            self.inbox.put(marketdata.decode_snapshot_full_refresh(fields, VENUE, self._clock))
        elif msg_type == "X":
            self.inbox.put(marketdata.decode_incremental_refresh(fields, VENUE, self._clock))
        elif msg_type == "Y":
            self.inbox.put(marketdata.decode_market_data_request_reject(fields, session))
        elif msg_type in ("3", "j"):
            self.inbox.put((msg_type, fields.as_dict()))
        elif msg_type not in ("0", "1", "2", "4", "5", "A"):
            raise UnsupportedMessageType(msg_type)

    def start(self, timeout: float = 10.0) -> None:
        """Connect and wait for the logon."""
        self.connector.start()
        if not self.app.wait_for_logon([self.session], timeout):
            raise TimeoutError(f"{self.session} did not log on within {timeout:g}s")

    def stop(self) -> None:
        """Log out."""
        self.connector.stop()

    def request(
        self,
        md_req_id: str,
        symbols: tuple[str, ...],
        *,
        subscription: SubscriptionRequestType = SubscriptionRequestType.SUBSCRIBE,
        depth: int = 0,
        types: tuple[MDEntryType, ...] = (MDEntryType.BID, MDEntryType.OFFER, MDEntryType.TRADE),
    ) -> None:
        """Send a MarketDataRequest (35=V); a new subscription starts a rebuilt book of that depth."""
        request = MarketDataRequest(
            session=self.session,
            md_req_id=md_req_id,
            subscription=subscription,
            depth=depth,
            entry_types=types,
            symbols=tuple(Symbol(s) for s in symbols),
        )
        if subscription is SubscriptionRequestType.SUBSCRIBE:
            self.books[md_req_id] = ReferenceBooks(depth)
        self.send(marketdata.market_data_request(request))

    def send_text(self, msg_type: str, body: str) -> None:
        """Send a message from body text as is (groups kept), e.g. a 35=V the codec would never write."""
        text = f"35={msg_type}\x01{body}10=000\x01"
        self.send(quickfix.Message(text, quickfix.DataDictionary(str(ROOT / "specs" / "FIX44.xml")), False))

    def send(self, message: quickfix.Message) -> None:
        """Send on the session; raise when it is not logged on."""
        if not self.app.send(self.session, message):
            raise ConnectionError(f"{self.session} is not logged on")

    def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 10.0) -> Received:
        """Drain (rebuilding books) until a message satisfies ``predicate``; return it."""
        for message in self.received:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.inbox.get(timeout=left)
            except queue.Empty:
                break
            self._keep(message)
            if predicate(message):
                return message
        raise TimeoutError(f"no matching message within {timeout:g}s; received {len(self.received)}")

    def wait_for_rpt_seqs(self, md_req_id: str, expected: dict[str, int], timeout: float = 10.0) -> None:
        """Drain until the subscription's books have applied every update up to ``expected`` (RptSeq per symbol)."""
        books = self.books[md_req_id]

        def reached(_: Received) -> bool:
            seqs = books.rpt_seqs()
            return all((seq := seqs.get(s)) is not None and seq >= n for s, n in expected.items())

        if not reached(("", {})):
            self.wait_for(reached, timeout)

    def of(self, md_req_id: str) -> list[Received]:
        """Every message received so far for ``md_req_id``."""
        self._drain()
        return [m for m in self.received if getattr(m, "md_req_id", None) == md_req_id]

    def _drain(self) -> None:
        while True:
            try:
                self._keep(self.inbox.get_nowait())
            except queue.Empty:
                return

    def _keep(self, message: Received) -> None:
        self.received.append(message)
        books = self.books.get(getattr(message, "md_req_id", None) or "")
        if books is None:
            return
        if isinstance(message, BookSnapshot):
            books.on_snapshot(message)
        elif isinstance(message, BookIncrement):
            books.on_increment(message)
