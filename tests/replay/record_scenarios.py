"""Record the replay scenarios in tests/replay/fixtures/scenarios/ from the project's own demo flow.

    .venv/bin/python -m tests.replay.record_scenarios

Each scenario runs on a fresh system (venue simulator, gateway and the scripted client on free loopback
ports) and keeps the client's FileLog exactly as quickfix wrote it. Record again after a deliberate change of
what the gateway answers; tests/replay/test_scenarios.py drives the recordings through a fresh gateway.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from app.demo import STEPS
from app.fixclient import Fields, ScriptedClient
from fixgw.codec.outbound import format_utc_timestamp
from tests.integration.conftest import make_config, start_system, stop_system

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scenarios"
CLIENT_LOG = Path("client") / "log" / "FIX.4.4-CLIENT1-FIXGW.messages.current.log"


def _now() -> str:
    return format_utc_timestamp(time.time_ns())


def _until(client: ScriptedClient, msg_type: str, cl_ord_id: str, **tags: str) -> Fields:
    wanted = {int(tag[1:]): value for tag, value in tags.items()}

    def match(m: Fields) -> bool:
        return m.get(35) == msg_type and m.get(11) == cl_ord_id and all(m.get(t) == v for t, v in wanted.items())

    return client.wait_for(match, timeout=10)


def demo(client: ScriptedClient) -> None:
    """The six orders of ``fixgw demo``: fills, a partial fill, a market order, three denials."""
    for step in STEPS:
        price = Decimal(step.price) if step.price else None
        client.send_order(step.cl_ord_id, step.symbol, step.side, Decimal(step.qty), price)
        _until(client, "8", step.cl_ord_id, t39=step.expect.value)


def cancel_replace(client: ScriptedClient) -> None:
    """A resting order replaced (more quantity, better price), then cancelled."""
    client.send_fields(
        "D", [(11, "CR-1"), (55, "MSFT"), (54, "1"), (38, "100"), (40, "2"), (44, "99.50"), (60, _now())]
    )
    _until(client, "8", "CR-1", t150="0")
    client.send_fields(
        "G", [(41, "CR-1"), (11, "CR-2"), (55, "MSFT"), (54, "1"), (38, "200"), (40, "2"), (44, "99.60"), (60, _now())]
    )
    _until(client, "8", "CR-2", t150="5")
    client.send_fields("F", [(41, "CR-2"), (11, "CR-3"), (55, "MSFT"), (54, "1"), (60, _now())])
    _until(client, "8", "CR-3", t150="4")


def refusals(client: ScriptedClient) -> None:
    """What the gateway refuses: a reused ClOrdID, a cancel of an unknown order, a replace of a filled one."""
    client.send_fields("D", [(11, "RF-1"), (55, "IBM"), (54, "2"), (38, "100"), (40, "1"), (60, _now())])
    _until(client, "8", "RF-1", t39="2")
    client.send_fields("D", [(11, "RF-1"), (55, "IBM"), (54, "2"), (38, "50"), (40, "1"), (60, _now())])
    _until(client, "8", "RF-1", t103="6")
    client.send_fields("F", [(41, "NOPE"), (11, "RF-2"), (55, "IBM"), (54, "2"), (60, _now())])
    _until(client, "9", "RF-2")
    client.send_fields(
        "G", [(41, "RF-1"), (11, "RF-3"), (55, "IBM"), (54, "2"), (38, "200"), (40, "2"), (44, "99"), (60, _now())]
    )
    _until(client, "9", "RF-3")


SCENARIOS: dict[str, Callable[[ScriptedClient], None]] = {
    "demo": demo,
    "cancel-replace": cancel_replace,
    "refusals": refusals,
}


def record(name: str, work: Path) -> Path:
    """Run one scenario on a fresh system and copy the client's log into the fixtures."""
    system = start_system(work, make_config(work))
    try:
        SCENARIOS[name](system.client)
    finally:
        stop_system(system)
    target = FIXTURES / f"{name}.log"
    shutil.copyfile(work / CLIENT_LOG, target)
    return target


def main() -> None:
    """Record every scenario (or those named on the command line)."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[1:] or SCENARIOS:
        with tempfile.TemporaryDirectory() as work:
            print(f"recorded {record(name, Path(work))}")


if __name__ == "__main__":
    main()
