"""Client sessions (acceptor side): FIX orders in, ExecutionReports out."""

from __future__ import annotations

import logging

from domain.bus import MessageBus
from domain.clock import Clock
from domain.ids import Account, SessionKey
from domain.reports import ExecutionReport
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields
from fixgw.codec.inbound import decode_new_order_single
from fixgw.errors import UnsupportedMessageType
from fixgw.session.application import FixApplication

log = logging.getLogger("fixgw.client")


class ClientHandler:
    """Decode client messages into commands for ``oms.execute``; encode reports back."""

    def __init__(self, bus: MessageBus, clock: Clock, default_accounts: dict[str, Account]) -> None:
        self._bus = bus
        self._clock = clock
        self._default_accounts = default_accounts
        self.app = FixApplication(self, "clients")

    def on_logon(self, session: SessionKey) -> None:
        """Nothing to do yet when a client logs on."""

    def on_logout(self, session: SessionKey) -> None:
        """Nothing to do yet when a client logs out."""

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Turn a NewOrderSingle into ``SubmitOrder``; refuse every other application message."""
        if msg_type == "D":
            command = decode_new_order_single(fields, session, self._default_account(session), self._clock)
            self._bus.post("oms.execute", command)
        else:
            raise UnsupportedMessageType(msg_type)

    def send_report(self, report: ExecutionReport) -> None:
        """Send an ExecutionReport to its client session (queued by quickfix for resend if it is down)."""
        if not self.app.send(report.session, outbound.execution_report(report), require_logon=False):
            log.error(
                "report %s for order %s: client session %s unknown", report.exec_id, report.order_id, report.session
            )

    def _default_account(self, session: SessionKey) -> Account:
        comp_id = session.split("->", 1)[-1].split(":", 1)[0]
        return self._default_accounts.get(comp_id, Account(""))
