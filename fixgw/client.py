"""Client sessions (acceptor side): FIX orders in, ExecutionReports out."""

from __future__ import annotations

import logging

from domain.bus import MessageBus
from domain.clock import Clock
from domain.commands import CancelWorking
from domain.ids import RISK_SESSION, Account, SessionKey, client_comp_id
from domain.latency import hops, now_ns
from domain.reports import BusinessReject, CancelReject, ClientReport, ExecutionReport
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

log = logging.getLogger("fixgw.client")


class ClientHandler:
    """Decode client messages into commands for ``oms.execute``; encode reports back."""

    def __init__(self, bus: MessageBus, clock: Clock, default_accounts: dict[str, Account]) -> None:
        self._bus = bus
        self._clock = clock
        self._default_accounts = default_accounts
        self.cancel_on_disconnect: frozenset[str] = frozenset()
        """Client CompIDs whose working orders are canceled when their session goes down."""
        self.app = FixApplication(self, "clients")

    def on_logon(self, session: SessionKey) -> None:
        """Nothing to do yet when a client logs on."""

    def on_logout(self, session: SessionKey) -> None:
        """Cancel the client's working day orders if it asked for cancel-on-disconnect (GTC orders stay)."""
        client = client_comp_id(session)
        if client in self.cancel_on_disconnect:
            command = CancelWorking(client=client, day_only=True, reason=f"cancel on disconnect of {client}")
            self._bus.post("oms.execute", command)

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Decode an order message into its command for the OMS; refuse every other application message."""
        if msg_type == "D":
            self._new_order(session, fields)
            return
        if msg_type == "F":
            command: object = decode_cancel_request(fields, session, self._clock)
        elif msg_type == "G":
            command = decode_replace_request(fields, session, self._default_account(session), self._clock)
        elif msg_type == "H":
            command = decode_status_request(fields, session, self._clock)
        elif msg_type == "q":
            command = decode_mass_cancel_request(fields, session, self._clock)
        else:
            raise UnsupportedMessageType(msg_type)
        self._bus.post("oms.execute", command)

    def _new_order(self, session: SessionKey, fields: QfFields) -> None:
        """The hot path: decode, then the whole synchronous chain, on a hop timeline (domain.latency)."""
        hops.start()
        try:
            command = decode_new_order_single(fields, session, self._default_account(session), self._clock)
            hops.mark("decode")
            self._bus.post("oms.execute", command)
        finally:
            hops.stop()

    def send_report(self, report: ClientReport) -> None:
        """Send a report to its client session (quickfix stores it for resend if the session is down)."""
        if report.session == RISK_SESSION:
            return  # the risk engine's own order: no client to tell (its reports stay in the audit trail)
        started = now_ns()
        if isinstance(report, ExecutionReport):
            message = outbound.execution_report(report)
        elif isinstance(report, CancelReject):
            message = outbound.order_cancel_reject(report)
        elif isinstance(report, BusinessReject):
            message = outbound.business_reject(None, report.ref_msg_type, report.reason, report.text,
                                               report.cl_ord_id, report.poss_resend)  # fmt: skip
        else:
            message = outbound.mass_cancel_report(report)
        if not self.app.send(report.session, message, require_logon=False):
            log.error("report to %s (ClOrdID %s) not sent: session unknown", report.session, report.cl_ord_id)
        hops.record("encode+send", now_ns() - started)

    def _default_account(self, session: SessionKey) -> Account:
        return self._default_accounts.get(client_comp_id(session), Account(""))
