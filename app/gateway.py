"""Wire the gateway: client acceptor -> OMS -> risk -> EMS -> venue initiator, and the journal back out."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
from sqlalchemy import Engine

from app.admin import AdminServer
from app.config import GatewayConfig
from app.risk_admin import risk_routes
from app.venue import seed
from domain.bus import MessageBus
from domain.clock import Clock, LiveClock
from domain.commands import ReconcileVenue, Unrecorded
from domain.events import RiskActionTaken
from domain.ids import Account, OrderId, SessionKey, VenueId
from domain.latency import hops
from domain.reports import BusinessReject, CancelReject, ClientReport, ExecutionReport, MassCancelReport
from ems.engine import EmsEngine
from ems.router import Router
from ems.venues.fix import FixVenue
from ems.venues.internal import RESTING, InternalVenue, time_priority
from fixgw.client import ClientHandler
from fixgw.session.connector import Connector
from fixgw.session.settings import SessionsFile
from fixgw.venue import VenueHandler
from oms.book import GRACE_NS, Book
from oms.engine import OmsEngine, decode_pending
from oms.exec_ids import ExecIds
from oms.store import repository
from oms.store.database import open_database, redacted
from oms.store.journal import Journal
from oms.store.retired import RetiredOrders, open_orders, retired_names
from risk.controls import Control, Controls
from risk.engine import RiskEngine
from simulator.matching import MatchingEngine

log = logging.getLogger("fixgw.gateway")
_REPORT_TYPES: dict[str, type[ClientReport]] = {
    "8": ExecutionReport,
    "9": CancelReject,
    "r": MassCancelReport,
    "j": BusinessReject,
}


class Gateway:
    """The whole order path in one process."""

    def __init__(self, config: GatewayConfig, sessions: SessionsFile, clock: Clock | None = None) -> None:
        self.clock = clock or LiveClock()
        self.config = config
        self.db: Engine = open_database(config.database_url())
        self.bus = MessageBus()
        accounts = {comp: Account(c.effective_default_account) for comp, c in config.clients.items()}
        self.journal = Journal(self.db, deliver=self._deliver, clock=self.clock, on_quarantine=self._unrecorded)
        self.clients = ClientHandler(self.bus, self.clock, accounts, accepting=self.journal.accepting)
        venue_sessions = {SessionKey(v.session): VenueId(name) for name, v in config.venues.items() if v.session}
        self.venues = VenueHandler(self.bus, self.clock, venue_sessions)
        self.clients.app.record = self.journal.record_inbound
        self.venues.app.record = self.journal.record_inbound
        self.clients.app.unit_of_work = self.venues.app.unit_of_work = self._unit_of_work
        incarnation = repository.begin_incarnation(self.db)  # committed before any report can use it
        log.info("book of record %s: incarnation %d", redacted(config.database_url()), incarnation)
        self.oms = OmsEngine(self.bus, self.clock, self.journal, Book(), exec_ids=ExecIds(incarnation))
        self._restore_book()
        self.oms.find_retired = RetiredOrders(self.db, self.journal.after_commit, self.bus.lock).find
        entitlements = {comp: frozenset(c.accounts) for comp, c in config.clients.items()}
        self.controls = Controls(on_change=self._record_control)
        self.controls.restore([Control(**row) for row in repository.load_controls(self.db)])
        self.risk = RiskEngine(self.bus, self.clock, config.risk, config.instruments, entitlements, self.controls)
        self.oms.admit = self.risk.admit  # message throttles, before the OMS books anything
        self.bus.subscribe("events.risk", self._record_risk_action)
        self.oms.publish_restored(repository.load_executions(self.db))
        self._internal_venues: list[VenueId] = []
        self.clients.cancel_on_disconnect = frozenset(
            c for c, cfg in config.clients.items() if cfg.cancel_on_disconnect
        )
        venues = self._venues()
        self.ems = EmsEngine(self.bus, self.clock, self._router(), dict(venues))
        for venue in venues.values():
            if isinstance(venue, FixVenue):
                venue.on_lost = self.ems.lost
        work_dir = sessions.base_dir / "var" / "gateway"
        self.acceptor = Connector(self.clients.app, sessions, "acceptor", work_dir)
        self.initiator = Connector(self.venues.app, sessions, "initiator", work_dir)
        self._resume_sessions()
        self.admin = AdminServer(
            config.admin.listen,
            config.admin_token_path(),
            {
                ("GET", "/health"): self._health,
                ("GET", "/metrics/hops"): self._hops,
                ("POST", "/metrics/hops/reset"): self._reset_hops,
                ("POST", "/orders/{order_id}/cancel"): self._admin_cancel,
                **risk_routes(self),
            },
        )

    @contextmanager
    def _unit_of_work(self) -> Iterator[None]:
        """One received message: processed under the bus lock, and what it changes committed together.

        The journal's group is enqueued before the lock is released, so the next message's changes (another
        session's thread may be waiting for the lock) can never commit before this one's.
        """
        with self.bus.lock, self.journal.atomic():
            yield

    def _deliver(self, reports: list[ClientReport]) -> None:
        self.clients.send_reports(reports)

    def _unrecorded(self, unrecorded: Unrecorded) -> None:
        # On the journal's thread: the OMS answers under the bus lock, as for a message from a session.
        self.bus.post("oms.execute", unrecorded)

    def _health(self, _: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Whether each venue can take orders (a FIX venue: its session is logged on) and the book can commit:
        503 while it cannot (new orders are refused meanwhile)."""
        venues = {
            name: self.venues.app.is_logged_on(SessionKey(v.session)) if v.session else True
            for name, v in self.config.venues.items()
        }
        journal = self.journal.health()
        ok = journal["state"] == "ok"
        return (200 if ok else 503), {"status": "ok" if ok else "degraded", "venues": venues, "journal": journal}

    def _hops(self, _: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        # What was appended so far is delivered first: a batch's encode+send is recorded after it has left.
        self.journal.flush()
        return 200, {"hops": hops.summary()}

    @staticmethod
    def _reset_hops(_: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        hops.reset()
        return 200, {"reset": True}

    def _record_risk_action(self, action: RiskActionTaken) -> None:
        # After commit, like the controls: the reducing order's own row is committed first.
        row = {
            "ts_ns": action.ts_ns,
            "kind": "action",
            "scope": "account",
            "key": action.account,
            "value": f"{action.action}: {action.detail}",
            "who": "risk",
            "reason": action.reason,
        }
        self.journal.after_commit(lambda: repository.save_audit(self.db, row))

    def _record_control(self, control: Control) -> None:
        # Persisted on the journal's thread: no database I/O on the order path, even for a post-trade breach.
        row = msgspec.structs.asdict(control)
        self.journal.after_commit(lambda: repository.save_control(self.db, row))

    def _admin_cancel(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        order_id = OrderId(params["order_id"])
        with self.bus.lock:
            problem = self.oms.cancel_by_operator(order_id, self.clock.now_ns())
        if problem is None:
            return 202, {"order_id": order_id, "result": "cancel sent to the venue"}
        return (404 if problem.startswith("unknown") else 409), {"error": problem}

    def _resume_sessions(self) -> None:
        """After a crash: make each counterparty resend what we received but had not committed (see Connector)."""

        def committed(session: SessionKey, since_ns: int) -> int | None:
            return repository.last_inbound_seq(self.db, session, since_ns)

        for connector in (self.acceptor, self.initiator):
            for session, (before, after) in connector.resume_from(committed).items():
                log.warning(
                    "%s: resuming at MsgSeqNum %d (store expected %d): uncommitted messages are resent",
                    session,
                    after,
                    before,
                )

    def _redeliver(self) -> None:
        """Send again, with PossResend=Y, the reports a crash may have kept from their clients."""
        rows = repository.undelivered_reports(self.db, self.journal.undelivered_from)
        for row in rows:
            report = msgspec.json.decode(row["body"], type=_REPORT_TYPES[row["msg_type"]])
            self.clients.send_report(msgspec.structs.replace(report, poss_resend=True))
        if rows:
            log.warning("re-sent %d report(s) committed before the restart but maybe never delivered", len(rows))

    def _restore_book(self) -> None:
        # Only what may still change comes back into memory; of the rest, the ClOrdIDs (still taken).
        rows = open_orders(self.db, self.clock.now_ns() - GRACE_NS)
        orders = []
        for row in rows:
            order = repository.order_from_row(row)
            order.pending = decode_pending(row["pending"])
            orders.append(order)
        requests_sent = {OrderId(r["order_id"]): int(r["requests_sent"]) for r in rows}
        self.oms.restore(
            orders,
            requests_sent,
            repository.load_executions(self.db),
            repository.last_order_seq(self.db),
            retired_names(self.db),
        )

    def _router(self) -> Router:
        symbols = {s: VenueId(v) for s, v in self.config.routing.symbols.items()}
        default = VenueId(self.config.routing.default) if self.config.routing.default else None
        accounts = {a: VenueId(v) for a, v in self.config.routing.accounts.items()}
        return Router(symbols, default, accounts)

    def _venues(self) -> dict[VenueId, FixVenue | InternalVenue]:
        venues: dict[VenueId, FixVenue | InternalVenue] = {}
        for name, v in self.config.venues.items():
            if v.session is None:
                venues[VenueId(name)] = self._internal_venue(VenueId(name))
            else:
                venues[VenueId(name)] = FixVenue(
                    VenueId(name), SessionKey(v.session), self.venues.app, self.clock, defer=self.journal.after_commit
                )
        return venues

    def _internal_venue(self, venue_id: VenueId) -> InternalVenue:
        """The venue with the book's working orders there back in their places, then the house liquidity."""
        engine = MatchingEngine()
        venue = InternalVenue(
            venue_id, self.bus, self.clock, engine, self.config.simulator.symbols, atomic=self.journal.atomic
        )
        working = [o for o in self.oms.book.by_id.values() if o.venue == venue_id and o.status in RESTING]
        requests = repository.venue_requests(self.db, venue_id, [o.order_id for o in working])
        if restored := venue.restore(time_priority(working, requests)):
            log.info("internal venue %s: %d working order(s) back on its book", venue_id, restored)
        seed(engine, self.config.simulator)
        self._internal_venues.append(venue_id)
        return venue

    def start(self) -> None:
        """Start the journal, connect to the venues, then accept clients."""
        self._redeliver()
        self.journal.start()
        for owed in repository.owed_answers(self.db):  # requests whose answer a stop left owed
            log.warning(
                "answering %s %s again: its answer was owed when the gateway stopped",
                owed.command.session,
                owed.command.cl_ord_id,
            )
            self.bus.post("oms.execute", owed)
        for venue_id in self._internal_venues:  # what a FIX venue's logon does: settle what was in flight
            self.bus.post("oms.execute", ReconcileVenue(venue=venue_id))
        self.admin.start()
        self.initiator.start()
        self.acceptor.start()

    def stop(self) -> None:
        """Stop accepting, disconnect from the venues, commit what is queued."""
        self.admin.stop()
        self.acceptor.stop()
        self.initiator.stop()
        self.journal.stop()
        self.db.dispose()
