"""Two external venue simulators that differ (examples/two-venues), each its own sessions and ports, one gateway:
routed orders filled with each venue's fee booked from Commission (12) / CommType (13), the slow venue's added
latency, its seeded rejects, its adverse selection seen in the books the gateway receives, and its behaviour
changed while it runs with ``fixgw venue-behaviour``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.config import AdminConfig, BehaviourConfig, DatabaseConfig, MetricsConfig, SimulatorConfig, load_config
from app.demo import eventually
from app.fixclient import ScriptedClient, client_sessions
from app.gateway import Gateway
from app.venue import VenueServer
from domain.enums import Side
from domain.ids import SessionKey
from fixgw.session.settings import SessionConfig, SessionsFile
from matching.behaviour import Behaviour, VenueBehaviour
from oms.store import repository
from tests.conftest import ROOT
from tests.integration.conftest import free_port
from tests.integration.test_cli import fixgw

pytestmark = pytest.mark.integration
EXAMPLE = ROOT / "examples" / "two-venues"


@dataclass
class TwoVenues:
    lit: VenueServer
    dark: VenueServer
    gateway: Gateway
    client: ScriptedClient
    dark_settings: Path
    """A settings file naming DARK's admin token (what ``fixgw venue-behaviour --settings`` reads)."""

    def stop(self) -> None:
        stoppers = [threading.Thread(target=p.stop) for p in (self.client, self.gateway, self.lit, self.dark)]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()


def ported(sessions: SessionsFile, ports: dict[str, int]) -> SessionsFile:
    """Each session to or of venue NAME (NAME, NAMEMD) on ports[NAME]; the client acceptor on ports["CLIENT"]."""
    out = []
    for own in sessions.sessions:
        config = SessionConfig(own, sessions.defaults)
        peer = config["SenderCompID"] if config["TargetCompID"] == "FIXGW" else config["TargetCompID"]
        name = "CLIENT" if peer == "CLIENT1" else peer.removesuffix("MD")
        key = "SocketAcceptPort" if config.connection_type == "acceptor" else "SocketConnectPort"
        out.append(own | {key: str(ports[name])})
    return SessionsFile(dict(sessions.defaults), out, sessions.base_dir)


def simulator(work: Path, name: str, ports: dict[str, int], behaviour: BehaviourConfig | None) -> VenueServer:
    settings = load_config(EXAMPLE / name.lower() / "venue.toml").simulator
    update: dict[str, Any] = {"metrics_listen": "127.0.0.1:0", "admin_listen": "127.0.0.1:0"}
    if behaviour is not None:
        update["behaviour"] = behaviour
    config: SimulatorConfig = settings.model_copy(update=update)
    sessions = ported(SessionsFile.load(EXAMPLE / name.lower() / "venue.cfg"), ports).relocated(work / name)
    return VenueServer(config, sessions, admin_token=work / f"{name}-admin.token")


def start(work: Path, dark: BehaviourConfig | None = None) -> TwoVenues:
    """The example's venues and gateway on free ports; ``dark``: DARK's behaviour instead of the example's."""
    ports = {"CLIENT": free_port(), "LIT": free_port(), "DARK": free_port()}
    lit_server, dark_server = simulator(work, "LIT", ports, None), simulator(work, "DARK", ports, dark)
    config = load_config(EXAMPLE / "fixgw.toml").model_copy(
        update={
            "database": DatabaseConfig(url=f"sqlite:///{work / 'book.db'}"),
            "admin": AdminConfig(listen="127.0.0.1:0", token_file=str(work / "admin.token")),
            "metrics": MetricsConfig(listen=""),
        }
    )
    sessions = ported(SessionsFile.load(EXAMPLE / "sessions.cfg"), ports).relocated(work / "gateway")
    gateway = Gateway(config, sessions)
    client = ScriptedClient(client_sessions(sessions, "CLIENT1", work / "client"))
    dark_settings = work / "dark.toml"
    dark_settings.write_text(f'[simulator]\nadmin_token_file = "{work / "DARK-admin.token"}"\n')
    lit_server.start()
    dark_server.start()
    gateway.start()
    assert gateway.venues.app.wait_for_logon([SessionKey(f"FIX.4.4:FIXGW->{v}") for v in ("LIT", "DARK")])
    client.start()
    # Both venues' books in the gateway: the consolidated mid is theirs.
    assert eventually(lambda: all(len(gateway.quotes.depth("IBM", 1, v)[0]) == 1 for v in ("LIT", "DARK")))
    return TwoVenues(lit_server, dark_server, gateway, client, dark_settings)


@pytest.fixture
def venues(tmp_path: Path) -> Iterator[TwoVenues]:
    running = start(
        tmp_path, dark=BehaviourConfig(fee_per_share=Decimal("0.001"), latency_ms=50, adverse_bps=Decimal(1))
    )
    yield running
    running.stop()


def filled(client: ScriptedClient, cl_ord_id: str) -> dict[int, str]:
    return client.wait_for(lambda m: m.get(35) == "8" and m.get(11) == cl_ord_id and m.get(39) == "2")


def answered(client: ScriptedClient, cl_ord_id: str) -> dict[int, str]:
    return client.wait_for(lambda m: m.get(35) == "8" and m.get(11) == cl_ord_id and m.get(150) in ("0", "8"))


def fills(gateway: Gateway, cl_ord_id: str) -> list[dict[str, Any]]:
    assert gateway.journal.flush()
    [order] = [o for o in repository.load_orders(gateway.db) if o["cl_ord_id"] == cl_ord_id]
    return repository.load_executions(gateway.db, order["order_id"])


def test_two_venues_when_orders_routed_then_each_fills_and_its_fee_is_booked_from_12_and_13(venues: TwoVenues) -> None:
    venues.client.send_order("LIT-1", "MSFT", Side.BUY, Decimal(300), Decimal("100.01"))
    venues.client.send_order("DARK-1", "AAPL", Side.SELL, Decimal(200), Decimal("99.99"))
    venues.client.send_order("DARK-2", "IBM", Side.BUY, Decimal(200), Decimal("100.01"))

    filled(venues.client, "LIT-1")
    filled(venues.client, "DARK-2")
    filled(venues.client, "DARK-1")

    [lit] = fills(venues.gateway, "LIT-1")
    assert (lit["venue"], lit["last_qty"], lit["commission"]) == ("LIT", 300, Decimal("0.90009"))  # 0.3 bps
    [dark] = fills(venues.gateway, "DARK-2")
    assert (dark["venue"], dark["last_qty"], dark["commission"]) == ("DARK", 200, Decimal("0.2"))  # 0.001 a share
    [aapl] = fills(venues.gateway, "DARK-1")
    assert aapl["venue"] == "LIT"  # AAPL follows the default rule
    assert venues.lit.simulator.behaviour.counters.fees == Decimal("0.90009") + Decimal("0.59994")


def test_two_venues_when_slow_venue_then_its_ack_comes_no_sooner_than_its_latency(venues: TwoVenues) -> None:
    sent = time.monotonic()
    venues.client.send_order("SLOW-1", "IBM", Side.BUY, Decimal(100), Decimal("99.00"))

    assert answered(venues.client, "SLOW-1")[150] == "0"

    assert time.monotonic() - sent >= 0.05  # a lower bound only: DARK handles nothing before 50 ms have passed
    assert venues.dark.simulator.behaviour.counters.delayed == 1


def test_two_venues_when_member_buys_at_adverse_venue_then_its_books_and_the_consolidated_mid_move_down(
    venues: TwoVenues,
) -> None:
    quotes = venues.gateway.quotes
    assert eventually(lambda: quotes.mid("IBM")[0] == Decimal("100.00"))

    venues.client.send_order("ADV-1", "IBM", Side.BUY, Decimal(100), Decimal("100.01"))
    filled(venues.client, "ADV-1")

    # DARK's fair value drops a tick (1 bp of 100): its book as the gateway received it over DARKMD is 99.98/100.00;
    # LIT's is still 99.99/100.01, so the consolidated book is 99.99/100.00 and its mid has moved against the buyer.
    assert eventually(
        lambda: [lv[0][0] for lv in quotes.depth("IBM", 1, "DARK")] == [Decimal("99.98"), Decimal("100.00")]
    )
    assert eventually(lambda: quotes.mid("IBM")[0] == Decimal("99.995")), quotes.mid("IBM")
    assert venues.dark.simulator.behaviour.counters.adverse_moves == 1


def test_two_venues_when_reject_ratio_then_rejects_over_fix_are_the_seeded_ones(tmp_path: Path) -> None:
    system = start(tmp_path)  # the example's DARK: 20 % rejected, seed 2
    n = 30
    try:
        for i in range(n):
            system.client.send_order(f"R-{i}", "IBM", Side.BUY, Decimal(100), Decimal("99.00"))
        outcomes = {f"R-{i}": answered(system.client, f"R-{i}") for i in range(n)}
    finally:
        system.stop()

    draws = VenueBehaviour(Behaviour(reject_ratio=0.2), seed=2)
    expected = [f"R-{i}" for i in range(n) if draws.rejects_new_order()]
    rejected = [c for c, m in outcomes.items() if m[150] == "8"]
    assert rejected == expected and 1 <= len(rejected) <= 15
    assert {outcomes[c][58] for c in rejected} == {"simulated reject: this venue's reject_ratio is 0.2"}


def test_venue_behaviour_cli_when_changed_while_running_then_next_orders_follow(venues: TwoVenues) -> None:
    settings = str(venues.dark_settings)

    changed = fixgw("venue-behaviour", "--settings", settings, "--reject-ratio", "1", "--json")

    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert json.loads(changed.stdout)["behaviour"]["reject_ratio"] == 1
    venues.client.send_order("CLI-1", "IBM", Side.BUY, Decimal(100), Decimal("99.00"))
    assert answered(venues.client, "CLI-1")[150] == "8"

    shown = fixgw("venue-behaviour", "--settings", settings)
    assert shown.returncode == 0 and "0.001" in shown.stdout, shown.stdout + shown.stderr
    bad = fixgw("venue-behaviour", "--settings", settings, "--latency-ms", "-5")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "latency_ms" in bad.stderr, bad.stderr
