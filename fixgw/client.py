"""Client sessions (acceptor side): FIX orders in, ExecutionReports out."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager

import quickfix

from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE, OmsCommand
from domain.clock import Clock
from domain.commands import CancelWorking
from domain.ids import RISK_SESSION, Account, SessionKey, client_comp_id
from domain.latency import hops, now_ns
from domain.marketdata import BookIncrement, BookSnapshot, MarketDataDesk
from domain.reports import BusinessReject, CancelReject, ClientReport, ExecutionReport
from fixgw.codec import marketdata as md_codec
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields, Recorder
from fixgw.codec.inbound import (
    decode_cancel_request,
    decode_mass_cancel_request,
    decode_new_order_single,
    decode_replace_request,
    decode_status_request,
)
from fixgw.errors import ApplicationNotAvailable, MarketDataRequestRefused, UnsupportedMessageType
from fixgw.session.application import FixApplication

log = logging.getLogger("fixgw.client")


class ClientHandler:
    """Decode client messages into commands for ``OMS_EXECUTE``; encode reports back."""

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        default_accounts: dict[str, Account],
        *,
        accepting: Callable[[], str | None] = lambda: None,
        cancel_on_disconnect: frozenset[str] = frozenset(),
        record: Recorder | None = None,
        unit_of_work: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
        market_data: MarketDataDesk | None = None,
    ) -> None:
        """``accepting``: None while new orders may be taken, else why not (the journal's: the book of record
        cannot commit); a NewOrderSingle or a replace is then refused at once, 35=j 380=4, never queued.
        ``cancel_on_disconnect``: the client CompIDs whose working day orders are canceled when their session goes
        down. ``record`` and ``unit_of_work``: see ``FixApplication``. ``market_data``: what serves the clients'
        MarketDataRequests (35=V); without it they are refused as unsupported (35=j 380=3)."""
        self._bus = bus
        self._clock = clock
        self._default_accounts = default_accounts
        self._accepting = accepting
        self._cancel_on_disconnect = cancel_on_disconnect
        self._market_data = market_data
        self.app = FixApplication(self, "clients", record=record, unit_of_work=unit_of_work)

    def on_logon(self, session: SessionKey) -> None:
        """Nothing to do yet when a client logs on."""

    def on_logout(self, session: SessionKey) -> None:
        """End its market data subscriptions; cancel the client's working day orders if it asked for
        cancel-on-disconnect (GTC orders stay)."""
        if self._market_data is not None:
            self._market_data.session_down(session)
        client = client_comp_id(session)
        if client in self._cancel_on_disconnect:
            command = CancelWorking(client=client, day_only=True, reason=f"cancel on disconnect of {client}")
            self._bus.post(OMS_EXECUTE, command)

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Decode an order message into its command for the OMS; refuse every other application message."""
        if msg_type in ("D", "G") and (why := self._accepting()) is not None:
            raise ApplicationNotAvailable(why)
        if msg_type == "D":
            self._new_order(session, fields)
            return
        if msg_type == "F":
            command: OmsCommand = decode_cancel_request(fields, session, self._clock)
        elif msg_type == "G":
            command = decode_replace_request(fields, session, self._default_account(session), self._clock)
        elif msg_type == "H":
            command = decode_status_request(fields, session, self._clock)
        elif msg_type == "q":
            command = decode_mass_cancel_request(fields, session, self._clock)
        elif msg_type == "V" and self._market_data is not None:
            self._market_data_request(session, fields)
            return
        else:
            raise UnsupportedMessageType(msg_type)
        self._bus.post(OMS_EXECUTE, command)

    def _new_order(self, session: SessionKey, fields: QfFields) -> None:
        """The hot path: decode, then the whole synchronous chain, on a hop timeline (domain.latency)."""
        hops.start()
        try:
            command = decode_new_order_single(fields, session, self._default_account(session), self._clock)
            hops.mark("decode")
            self._bus.post(OMS_EXECUTE, command)
        finally:
            hops.stop()

    def _market_data_request(self, session: SessionKey, fields: QfFields) -> None:
        """A MarketDataRequest: served from the consolidated books, or answered with its 35=Y."""
        assert self._market_data is not None
        try:
            request = md_codec.decode_market_data_request(fields, session, self._clock)
        except MarketDataRequestRefused as refused:
            self.app.send(session, md_codec.market_data_request_reject(refused.reject(session)))
            return
        reject = self._market_data.request(request)
        if reject is not None:
            self.app.send(session, md_codec.market_data_request_reject(reject))

    def send_market_data(self, session: SessionKey, message: BookSnapshot | BookIncrement) -> None:
        """Send a client a snapshot (35=W) or a refresh (35=X) of the consolidated book."""
        if isinstance(message, BookSnapshot):
            encoded = md_codec.snapshot_full_refresh(message)
        else:
            encoded = md_codec.incremental_refresh(message)
        self.app.send(session, encoded)

    def send_report(self, report: ClientReport) -> str | None:
        """Send one report to its client session (see ``send_reports``)."""
        return self.send_reports([report])[0]

    def send_reports(self, reports: list[ClientReport]) -> list[str | None]:
        """Send reports in their order; each run of reports for one session goes to the engine in one call. Return
        the text each went out as (header and trailer included: the audit trail's), None for one not sent.

        A session that is down gets them by resend after its next logon (quickfix stores them with their MsgSeqNum).
        The risk engine's own orders have no client: their reports stay in the audit trail only.
        """
        started = now_ns()
        session: SessionKey | None = None
        run: list[quickfix.Message] = []
        sent: list[quickfix.Message | None] = []
        for report in reports:
            if report.session == RISK_SESSION:
                sent.append(None)
                continue
            if report.session != session:
                self._send_run(session, run)
                session, run = report.session, []
            message = _encode(report)
            run.append(message)
            sent.append(message)
        self._send_run(session, run)
        if reports:  # per report, its share of the batch's encoding and sending
            share = (now_ns() - started) // len(reports)
            for _ in reports:
                hops.record("encode+send", share)
        return [None if m is None else outbound.sent_text(m) for m in sent]

    def _send_run(self, session: SessionKey | None, messages: list[quickfix.Message]) -> None:
        if session is not None and self.app.send_all(session, messages) < len(messages):
            log.error("%d report(s) to %s not sent: session unknown", len(messages), session)

    def _default_account(self, session: SessionKey) -> Account:
        return self._default_accounts.get(client_comp_id(session), Account(""))


def _encode(report: ClientReport) -> quickfix.Message:
    if isinstance(report, ExecutionReport):
        return outbound.execution_report(report)
    if isinstance(report, CancelReject):
        return outbound.order_cancel_reject(report)
    if isinstance(report, BusinessReject):
        return outbound.business_reject(
            None, report.ref_msg_type, report.reason, report.text, report.cl_ord_id, report.poss_resend
        )
    return outbound.mass_cancel_report(report)
