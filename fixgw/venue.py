"""Venue sessions (initiator side): the venue's ExecutionReports in, as events for ``OMS_PROCESS``."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager

from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE, OMS_PROCESS
from domain.clock import Clock
from domain.commands import ReconcileVenue
from domain.events import CancelRejected, VenueReport
from domain.ids import SessionKey, VenueId
from domain.latency import hops
from fixgw.codec.fields import QfFields, Recorder
from fixgw.codec.inbound import decode_cancel_reject, decode_execution_report
from fixgw.errors import UnsupportedMessageType
from fixgw.session.application import FixApplication

log = logging.getLogger("fixgw.venue")


class VenueHandler:
    """Decode venue reports into events; the venue is known by its session."""

    def __init__(
        self,
        bus: MessageBus,
        clock: Clock,
        venues_by_session: dict[SessionKey, VenueId],
        *,
        record: Recorder | None = None,
        unit_of_work: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        """``record`` and ``unit_of_work``: see ``FixApplication``."""
        self._bus = bus
        self._clock = clock
        self._venues = venues_by_session
        self.app = FixApplication(self, "venues", record=record, unit_of_work=unit_of_work)

    def on_logon(self, session: SessionKey) -> None:
        """Ask the OMS to reconcile what is in flight at this venue."""
        self._bus.post(OMS_EXECUTE, ReconcileVenue(venue=self._venues[session]))

    def on_logout(self, session: SessionKey) -> None:
        """Nothing to do yet when a venue session drops."""

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Turn an ExecutionReport into an event; refuse every other application message."""
        venue = self._venues[session]
        if msg_type == "8":
            hops.end((venue, fields.get(11)), "venue round trip")
            event: VenueReport | CancelRejected | None = decode_execution_report(fields, venue, self._clock)
        elif msg_type == "9":
            event = decode_cancel_reject(fields, venue, self._clock)
        else:
            raise UnsupportedMessageType(msg_type)
        if event is not None:
            self._bus.post(OMS_PROCESS, event)
