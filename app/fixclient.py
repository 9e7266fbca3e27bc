"""A scripted FIX client over a real quickfix initiator session: used by the demo and the tests."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from domain.enums import OrdType, Side, TimeInForce
from domain.ids import Account, ClOrdId, SessionKey, Symbol
from domain.marketdata import MarketDataRequest, MDEntryType, SubscriptionRequestType
from fixgw.codec import marketdata as md_codec
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields
from fixgw.session.application import FixApplication
from fixgw.session.connector import Connector
from fixgw.session.settings import SessionsFile

Fields = dict[int, str]


def client_sessions(gateway: SessionsFile, client_comp_id: str, work_dir: Path) -> SessionsFile:
    """Mirror the gateway's acceptor session for ``client_comp_id`` as the client's initiator session."""
    resolved = gateway.resolved()
    for config in resolved.of_type("acceptor"):
        if config["TargetCompID"] == client_comp_id:
            own = {
                "ConnectionType": "initiator",
                "BeginString": config["BeginString"],
                "SenderCompID": client_comp_id,
                "TargetCompID": config["SenderCompID"],
                "SocketConnectHost": config.get("SocketAcceptHost") or "127.0.0.1",
                "SocketConnectPort": config["SocketAcceptPort"],
                "HeartBtInt": "30",
                "ReconnectInterval": "1",
            }
            keep = ("StartTime", "EndTime", "UseDataDictionary", "DataDictionary")
            defaults = {k: v for k in keep if (v := config.get(k)) is not None}
            defaults |= {"FileStorePath": str(work_dir / "store"), "FileLogPath": str(work_dir / "log")}
            return SessionsFile(defaults, [own], work_dir)
    raise LookupError(f"no acceptor session for client {client_comp_id!r} in the gateway configuration")


_MARKET_DATA = frozenset(("W", "X", "Y"))


class ScriptedClient:
    """Send orders and collect every application message the gateway sends back."""

    def __init__(self, sessions: SessionsFile) -> None:
        self.inbox: queue.SimpleQueue[Fields] = queue.SimpleQueue()
        self.market_data: queue.SimpleQueue[str] = queue.SimpleQueue()
        """Market data messages (35=W, X, Y) as raw FIX text: their repeating groups do not fit ``Fields``."""
        self.received: list[Fields] = []
        self.app = FixApplication(self, "client", observe_admin=True)
        self.connector = Connector(self.app, sessions, "initiator", sessions.base_dir)
        self.session = SessionKey(next(sessions.configs()).key)
        self.queue_when_down = False
        """Send even while logged out: quickfix stores the message and resends it after the next logon."""

    # SessionHandler
    def on_logon(self, session: SessionKey) -> None:
        """Nothing to do on logon."""

    def on_logout(self, session: SessionKey) -> None:
        """Nothing to do on logout."""

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Keep every application message for the script to inspect."""
        if msg_type in _MARKET_DATA:
            self.market_data.put(fields.raw)
            return
        self.inbox.put(fields.as_dict() | {35: msg_type})

    def start(self, timeout: float = 10.0) -> None:
        """Connect and wait for the logon; raise TimeoutError if it does not happen."""
        self.connector.start()
        if not self.app.wait_for_logon([self.session], timeout):
            raise TimeoutError(f"{self.session} did not log on within {timeout:g}s")

    def stop(self) -> None:
        """Log out."""
        self.connector.stop()

    def send_order(
        self,
        cl_ord_id: str,
        symbol: str,
        side: Side,
        qty: Decimal,
        price: Decimal | None = None,
        *,
        account: str | None = None,
        ord_type: OrdType | None = None,
        tif: TimeInForce = TimeInForce.DAY,
    ) -> None:
        """Send a NewOrderSingle (limit when a price is given, else market)."""
        message = outbound.new_order_single(
            cl_ord_id=ClOrdId(cl_ord_id),
            account=Account(account) if account else None,
            symbol=Symbol(symbol),
            side=side,
            ord_type=ord_type or (OrdType.LIMIT if price is not None else OrdType.MARKET),
            order_qty=qty,
            price=price,
            time_in_force=tif,
            transact_time_ns=time.time_ns(),
        )
        self._send(message)

    def subscribe(
        self,
        md_req_id: str,
        symbols: list[str],
        *,
        depth: int = 0,
        kind: SubscriptionRequestType = SubscriptionRequestType.SUBSCRIBE,
        entry_types: tuple[MDEntryType, ...] = tuple(MDEntryType),
    ) -> None:
        """Send a MarketDataRequest (35=V); what comes back is in ``market_data``."""
        request = MarketDataRequest(
            session=self.session,
            md_req_id=md_req_id,
            subscription=kind,
            depth=depth,
            entry_types=entry_types,
            symbols=tuple(Symbol(s) for s in symbols),
        )
        self._send(md_codec.market_data_request(request))

    def send_fields(self, msg_type: str, fields: list[tuple[int, str]]) -> None:
        """Send a message made of exactly ``fields`` in that order (for malformed-input tests and tools)."""
        self._send(outbound.raw_message(msg_type, fields))

    def _send(self, message: object) -> None:
        if not self.app.send(self.session, message, require_logon=not self.queue_when_down):
            raise ConnectionError(f"{self.session} is not logged on")

    def wait_for(self, predicate: Callable[[Fields], bool], timeout: float = 10.0) -> Fields:
        """Return the first message (new or already received) that satisfies ``predicate``."""
        for message in self.received:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.inbox.get(timeout=left)
            except queue.Empty:
                break
            self.received.append(message)
            if predicate(message):
                return message
        raise TimeoutError(f"no matching message within {timeout:g}s; received {len(self.received)}")

    def reports_for(self, cl_ord_id: str) -> list[Fields]:
        """Every ExecutionReport received so far for ``cl_ord_id``."""
        self._drain()
        return [m for m in self.received if m.get(35) == "8" and m.get(11) == cl_ord_id]

    def _drain(self) -> None:
        while True:
            try:
                self.received.append(self.inbox.get_nowait())
            except queue.Empty:
                return
