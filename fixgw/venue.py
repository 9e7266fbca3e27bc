"""Venue sessions (initiator side): the venue's ExecutionReports in, as events for ``oms.process``."""

from __future__ import annotations

import logging

from domain.bus import MessageBus
from domain.clock import Clock
from domain.commands import ReconcileVenue
from domain.ids import SessionKey, VenueId
from domain.latency import hops
from fixgw.codec.fields import QfFields
from fixgw.codec.inbound import decode_cancel_reject, decode_execution_report
from fixgw.errors import UnsupportedMessageType
from fixgw.session.application import FixApplication

log = logging.getLogger("fixgw.venue")


class VenueHandler:
    """Decode venue reports into events; the venue is known by its session."""

    def __init__(self, bus: MessageBus, clock: Clock, venues_by_session: dict[SessionKey, VenueId]) -> None:
        self._bus = bus
        self._clock = clock
        self._venues = venues_by_session
        self.app = FixApplication(self, "venues")

    def on_logon(self, session: SessionKey) -> None:
        """Ask the OMS to reconcile what is in flight at this venue."""
        self._bus.post("oms.execute", ReconcileVenue(venue=self._venues[session]))

    def on_logout(self, session: SessionKey) -> None:
        """Nothing to do yet when a venue session drops."""

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Turn an ExecutionReport into an event; refuse every other application message."""
        venue = self._venues[session]
        if msg_type == "8":
            hops.end((venue, fields.get(11)), "venue round trip")
            event: object = decode_execution_report(fields, venue, self._clock)
        elif msg_type == "9":
            event = decode_cancel_reject(fields, venue, self._clock)
        else:
            raise UnsupportedMessageType(msg_type)
        if event is not None:
            self._bus.post("oms.process", event)
