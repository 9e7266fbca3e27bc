"""Wire the gateway: one process, every engine given its collaborators at construction, built from one snapshot
of the book of record.

The order of construction is the order of dependence: the book's database and journal; the bus (whose unit of work
is the journal's transaction); the FIX sessions (so their stores say where each sequence began); the recovery
snapshot; risk (it must follow what the OMS publishes as it restores); the OMS; the venues and the EMS. The route
of a NewOrderSingle through what is wired here is in the README ("How an order flows").
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping

import msgspec

from app import adaptive
from app.admin import AdminServer
from app.admin_routes import gateway_routes
from app.book_routes import book_routes
from app.config import GatewayConfig
from app.dashboard_routes import dashboard_routes
from app.internal_venues import InternalVenues
from app.mark_sampler import MarkSampler
from app.market_data import GatewayMarketData
from app.marketdata_admin import marketdata_routes
from app.metrics.gateway import gateway_metrics
from app.mid_recorder import MidRecorder
from app.risk_admin import risk_routes
from app.routing_routes import routing_routes
from app.session_routes import session_routes
from app.strategies import start_enabled, strategy_engine, strategy_entitlements
from app.strategy_routes import strategy_routes
from app.venue_routes import venue_routes
from domain.bus import MessageBus
from domain.channels import OMS_EXECUTE, RISK_ACTIONS
from domain.clock import Clock, LiveClock
from domain.commands import ReconcileVenue, Unrecorded
from domain.events import RiskActionTaken
from domain.ids import Account, OrderId, SessionKey, VenueId
from domain.marketdata import Quotes
from domain.reports import ClientReport
from ems.engine import EmsEngine
from ems.router import Router
from ems.venues.base import Venue
from ems.venues.fix import FixVenue
from fixgw.client import ClientHandler
from fixgw.session.connector import Connector, stop_all
from fixgw.session.settings import SessionsFile
from fixgw.venue import VenueHandler
from oms.book import Book
from oms.engine import OmsEngine
from oms.recovery import RecoverySnapshot
from oms.store import repository
from oms.store.database import BookDb, open_database, redacted
from oms.store.journal import Journal
from oms.store.recovery import recover
from oms.store.relay import Outbox
from oms.store.retired import RetiredOrders
from risk.controls import Control, Controls
from risk.engine import RiskEngine

log = logging.getLogger("fixgw.gateway")


class Gateway:
    """The whole order path in one process."""

    def __init__(
        self,
        config: GatewayConfig,
        sessions: SessionsFile,
        clock: Clock | None = None,
        *,
        outbox: Outbox | None = None,
        remote_venues: Mapping[VenueId, Venue] | None = None,
    ) -> None:
        """``outbox``: where committed client reports go instead of the client sessions (the services deployment's
        core relays them to the edge: ``app.services.core``); a strategy's still go to it. ``remote_venues``: venues
        reached another way than a session of this process (the services deployment's venue services)."""
        self._remote_venues = dict(remote_venues or {})
        self.clock = clock or LiveClock()
        self.config = config
        self.db: BookDb = open_database(config.database_url())
        self._outbox = outbox
        self.journal = Journal(
            self.db,
            deliver=self._deliver,
            clock=self.clock,
            on_quarantine=self._unrecorded,
            outbox=None if outbox is None else self._relay,
        )
        # [database] commit = "leader": the receiving thread commits its own change when the writer is idle
        around = self.journal.committing if config.database.commit == "leader" else contextlib.nullcontext
        self.bus = MessageBus(unit=self.journal.atomic, around=around)
        work_dir = sessions.base_dir / "var" / "gateway"
        self.market = GatewayMarketData(
            config,
            sessions,
            self.clock,
            work_dir,
            lambda session, message: self.clients.send_market_data(session, message),
        )
        self.clients = ClientHandler(
            self.bus,
            self.clock,
            {comp: Account(c.effective_default_account) for comp, c in config.clients.items()},
            accepting=self.journal.accepting,
            cancel_on_disconnect=frozenset(c for c, cfg in config.clients.items() if cfg.cancel_on_disconnect),
            record=self.journal.record_inbound,
            unit_of_work=self.bus.entered,
            market_data=self.market.clients,
        )
        self.venues = VenueHandler(
            self.bus,
            self.clock,
            {SessionKey(v.session): VenueId(name) for name, v in config.venues.items() if v.session},
            record=self.journal.record_inbound,
            unit_of_work=self.bus.entered,
        )
        _, order_sessions = sessions.split(_md_keys(config))
        self.acceptor = Connector(self.clients.app, sessions, "acceptor", work_dir)
        self.initiator = Connector(self.venues.app, order_sessions, "initiator", work_dir)
        self._internal = [VenueId(name) for name, v in config.venues.items() if v.session is None]
        since = self.acceptor.stores_created() | self.initiator.stores_created()
        self._snapshot = snapshot = recover(self.db, self.clock.now_ns(), since, self._internal)
        log.info("book of record %s: incarnation %d", redacted(config.database_url()), snapshot.incarnation)
        self.controls = Controls(on_change=self._record_control)
        self.controls.restore([Control(**row) for row in snapshot.controls])
        entitlements = {comp: frozenset(c.accounts) for comp, c in config.clients.items()}
        entitlements |= strategy_entitlements(config)  # each strategy is a client of its own: STRATEGY:<NAME>
        self.quotes: Quotes = self.market.books  # the live books' read side: the band's mid, arrival prices, marks
        self.risk = RiskEngine(
            self.bus, self.clock, config.risk, config.instruments, entitlements, self.controls, self.quotes
        )
        self.bus.subscribe(RISK_ACTIONS, self._record_risk_action)
        self.sampler = MarkSampler(self.bus, self.quotes, config.instruments, self.clock, config.risk.var.interval_ms)
        """The mids, once every ``[risk.var] interval_ms``, to the risk engine: portfolio marks and VaR."""
        self.oms = OmsEngine(
            self.bus,
            self.clock,
            self.journal,
            Book(),
            risk=self.risk,
            find_retired=RetiredOrders(self.db, self.journal.after_commit, self.bus.lock).find,
            snapshot=snapshot,
            quotes=self.quotes,
        )
        self.internal = InternalVenues(config, self.bus, self.clock, self.market.feeds, self.journal.after_commit)
        """The internal venues, whose behaviour can be changed while the gateway runs (``set_behaviour``)."""
        self.router = self._router()
        self.ems = EmsEngine(self.bus, self.clock, self.router, self._venues(snapshot))
        self.tca = adaptive.live_tca(self.bus, config.routing.adaptive)
        """The live TCA engine scoring the adaptive symbols' venues, or None (README "Adaptive routing")."""
        if self.tca is not None:
            mids = adaptive.MidFeed(self.bus, self.market.books, self.clock, self.tca.settings.symbols)
            self.market.feeds.listen(mids.on_change)
            mids.publish_all()  # the internal venues' books were built above
        self.strategies = strategy_engine(self)
        self.market.feeds.listen(self.strategies.on_book_change)
        self.mids = self._mid_recorder()
        """Records the mid series for TCA's markouts (``[marketdata] mids_every_ms``), or None."""
        for connector in (self.acceptor, self.initiator):
            for session, (before, after) in connector.resume(snapshot.resume).items():
                log.warning(
                    "%s: resuming at MsgSeqNum %d (store expected %d): uncommitted messages are resent",
                    session,
                    after,
                    before,
                )
        self.admin = AdminServer(
            config.admin.listen,
            config.admin_token_path(),
            gateway_routes(self)
            | risk_routes(self)
            | book_routes(self.market, frozenset(config.instruments))
            | marketdata_routes(self.quotes, config.instruments)
            | session_routes(
                {"client": self.clients.app, "venue": self.venues.app, "marketdata": self.market.handler.app}
            )
            | dashboard_routes(self)
            | strategy_routes(self)
            | routing_routes(self)
            | venue_routes(self),
        )
        self.metrics = gateway_metrics(self)
        """``GET /metrics`` (``[metrics] listen``), or None."""

    def start(self) -> None:
        """Send again what a crash may have kept, start the journal, connect to the venues, then accept clients."""
        self._redeliver(self._snapshot)
        self.journal.start()
        for owed in self._snapshot.owed:  # requests whose answer a stop left owed
            log.warning(
                "answering %s %s again: its answer was owed when the gateway stopped",
                owed.command.session,
                owed.command.cl_ord_id,
            )
            self.bus.post(OMS_EXECUTE, owed)
        for venue_id in self._internal:  # what a FIX venue's logon does: settle what was in flight
            self.bus.post(OMS_EXECUTE, ReconcileVenue(venue=venue_id))
        self.admin.start()
        if self.metrics is not None:
            self.metrics.start()
        self.market.start()
        if self.mids is not None:
            self.mids.start()
        self.sampler.start()
        self.initiator.start()
        self.acceptor.start()
        start_enabled(self)  # once the venues are connected: an earlier run's quotes are canceled there first

    def stop(self) -> None:
        """Stop the strategies (their quotes canceled), stop accepting, disconnect from the venues, commit what is
        queued."""
        self.strategies.stop_all()
        self.sampler.stop()
        self.admin.stop()
        if self.metrics is not None:
            self.metrics.stop()
        stop_all((self.acceptor, self.initiator, self.market.connector))
        self.internal.stop()
        self.market.stop()
        if self.mids is not None:
            self.mids.stop()
        self.journal.stop()
        self.db.dispose()

    # -- what the journal calls back --------------------------------------------------------------

    def _deliver(self, reports: list[ClientReport]) -> list[str | None]:
        """Send a committed batch's reports: a strategy's to it, the others to their FIX sessions; return the text
        each went out as (None for a strategy's: it never leaves the process), in the batch's order."""
        others = self.strategies.deliver(reports)
        if len(others) == len(reports):
            return self.clients.send_reports(reports)
        sent = iter(self.clients.send_reports(others))
        kept = {id(report) for report in others}
        return [next(sent) if id(report) in kept else None for report in reports]

    def _relay(self, reports: list[ClientReport], ids: list[int]) -> None:
        """The services deployment's delivery: a strategy's reports to it, the others to the outbox with their ids."""
        assert self._outbox is not None
        kept = {id(report) for report in self.strategies.deliver(reports)}
        relayed = [(report, i) for report, i in zip(reports, ids, strict=True) if id(report) in kept]
        if relayed:
            self._outbox([report for report, _ in relayed], [i for _, i in relayed])

    def _record_sent(self, session: SessionKey, text: str, sent_ns: int, order_id: OrderId) -> None:
        self.journal.record_sent(session, text, sent_ns, order_id=order_id)

    def _unrecorded(self, unrecorded: Unrecorded) -> None:
        # On the journal's thread: the OMS answers under the bus lock, as for a message from a session.
        self.bus.post(OMS_EXECUTE, unrecorded)

    def _record_risk_action(self, action: RiskActionTaken) -> None:
        # After commit, like the controls: the reducing order's own row is committed first.
        row = {
            "ts_ns": action.ts_ns,
            "kind": "action",
            "scope": action.scope,
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

    # -- building ------------------------------------------------------------------------------------

    def _redeliver(self, snapshot: RecoverySnapshot) -> None:
        """Send again, with PossResend=Y, the reports a crash may have kept from their clients."""
        if self._outbox is not None:  # relayed again under their ids: JetStream drops those it already has
            again = [msgspec.structs.replace(r, poss_resend=True) for r in snapshot.undelivered]
            self._relay(again, list(snapshot.undelivered_ids))
            return
        kept = {id(report) for report in self.strategies.deliver(snapshot.undelivered)}  # a strategy reads the book
        for report, message_id in zip(snapshot.undelivered, snapshot.undelivered_ids, strict=True):
            if id(report) not in kept:
                continue
            sent_ns = self.clock.now_ns()
            if (text := self.clients.send_report(msgspec.structs.replace(report, poss_resend=True))) is not None:
                order_id = getattr(report, "order_id", None)
                self.journal.record_sent(report.session, text, sent_ns, order_id=order_id, sent_from=message_id)
        if snapshot.undelivered:
            log.warning(
                "re-sent %d report(s) committed before the restart but maybe never delivered", len(snapshot.undelivered)
            )

    def _mid_recorder(self) -> MidRecorder | None:
        md = self.config.marketdata
        if not md.mids_every_ms:
            return None
        recorder = MidRecorder(
            self.quotes,
            self.db,
            self.clock,
            self.config.instruments,
            every_ms=md.mids_every_ms,
            heartbeat_ms=md.mids_heartbeat_ms,
            keep_days=md.mids_keep_days,
        )
        self.market.feeds.listen(recorder.sampler.on_book_change)
        return recorder

    def _router(self) -> Router:
        symbols = {s: VenueId(v) for s, v in self.config.routing.symbols.items()}
        default = VenueId(self.config.routing.default) if self.config.routing.default else None
        accounts = {a: VenueId(v) for a, v in self.config.routing.accounts.items()}
        return Router(symbols, default, accounts, adaptive.policy(self.config.routing.adaptive))

    def _venues(self, snapshot: RecoverySnapshot) -> dict[VenueId, Venue]:
        venues: dict[VenueId, Venue] = {}
        for name, v in self.config.venues.items():
            venue_id = VenueId(name)
            if venue_id in self._remote_venues:
                venues[venue_id] = self._remote_venues[venue_id]
            elif v.session is None:
                venues[venue_id] = self.internal.build(venue_id, snapshot)
            else:
                session = SessionKey(v.session)
                venues[venue_id] = FixVenue(
                    venue_id,
                    session,
                    self.venues.app,
                    self.clock,
                    self.bus,
                    defer=self.journal.after_commit,
                    record_sent=self._record_sent,
                )
        return venues


def _md_keys(config: GatewayConfig) -> set[SessionKey]:
    return {SessionKey(v.md_session) for v in config.venues.values() if v.md_session}
