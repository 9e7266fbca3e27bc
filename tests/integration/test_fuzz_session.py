"""Property-based fuzzing of a live client session: thousands of mutated messages, then it must still trade.

Each hypothesis example is a batch of 5-10 mutated frames (field mutations: dropped, duplicated, re-valued,
re-tagged, inserted, swapped fields, odd MsgTypes, wrong groups; framing mutations: flipped bytes, truncation, bad
CheckSum or BodyLength, leading garbage, doubled frames) on the FUZZER session, followed by a probe the session
must answer. Meanwhile CLIENT1's order rests on the venue. Afterwards: no exception anywhere on the FIX
callbacks, CLIENT1 never noticed, its order is untouched and its next order is acknowledged, every order in
memory matches its SQL row, nothing was quarantined, and FUZZER still trades. It runs on SQLite and on
PostgreSQL: values PostgreSQL refuses (NUL, numbers over NUMERIC(38,12), bytes that are not UTF-8) once wedged
the book of record there only (issue 12). ``FIXGW_FUZZ_EXAMPLES`` sets the number of batches
(``bench/fuzz_session.py`` runs it long); ``FIXGW_FUZZ_STATS`` names a JSON file for the run's counts.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.fixclient import ScriptedClient, client_sessions
from domain.enums import Side
from domain.ids import SessionKey
from tests.contract.conftest import postgres_schema_url
from tests.integration.conftest import make_config
from tests.integration.fuzzing import FUZZER, Fuzzer, FuzzSystem, book_problems, mutated_frame, start_fuzz_system
from tests.integration.rawfix import encode, field, now

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("FIXGW_FUZZ_EXAMPLES", "400"))
MIN_MESSAGES = 5 * EXAMPLES  # every batch has at least five frames: 2,000 by default


class ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(params=["sqlite", "postgresql"])
def fuzz_system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[FuzzSystem, ScriptedClient]]:
    urls = postgres_schema_url() if request.param == "postgresql" else iter([None])
    system = start_fuzz_system(tmp_path, make_config(tmp_path, next(urls)))
    client = ScriptedClient(client_sessions(system.gateway_sessions, "CLIENT1", tmp_path / "client"))
    client.start()
    yield system, client
    client.stop()
    system.gateway.stop()
    system.venue.stop()
    for _ in urls:  # drops the PostgreSQL schema
        pass


@pytest.mark.timeout(3600)
def test_live_session_when_fuzzed_with_thousands_of_mutated_messages_then_it_still_trades_and_book_is_intact(
    fuzz_system: tuple[FuzzSystem, ScriptedClient],
) -> None:
    system, client = fuzz_system
    client.send_order("KEEP-1", "AAPL", Side.BUY, Decimal(800), Decimal("100.01"))
    client.wait_for(lambda m: m.get(11) == "KEEP-1" and m.get(39) == "1")
    keep = next(o for o in system.gateway.oms.book.by_id.values() if o.cl_ord_id == "KEEP-1")
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    fuzzer_session = SessionKey(f"FIX.4.4:FIXGW->{FUZZER}")
    fuzzer = Fuzzer(system.port, logged_on=lambda: system.gateway.clients.app.is_logged_on(fuzzer_session))
    started = time.monotonic()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def one_batch(data: st.DataObject) -> None:
        fuzzer.connect()
        count = data.draw(st.integers(min_value=5, max_value=10), label="frames")
        specs = [data.draw(mutated_frame(), label=f"frame {i}") for i in range(count)]
        fuzzer.send_batch([spec.render(fuzzer.seq + i) for i, spec in enumerate(specs)])

    try:
        one_batch()
    finally:
        logging.getLogger().removeHandler(errors)
        _write_stats(fuzzer, time.monotonic() - started)

    assert fuzzer.stats.messages >= MIN_MESSAGES
    assert [r.getMessage() for r in errors.records] == []  # nothing blew up inside any FIX callback
    assert client.app.is_logged_on(client.session)  # CLIENT1 never noticed
    assert (keep.status.value, keep.cum_qty, keep.leaves_qty) == ("1", 500, 300)
    assert book_problems(system.gateway) == []
    assert system.gateway.journal.health()["quarantined"] == 0
    client.send_order("AFTER-1", "IBM", Side.BUY, Decimal(5), Decimal("99.00"))  # another client trades on
    assert client.wait_for(lambda m: m.get(11) == "AFTER-1" and m.get(35) == "8", timeout=1.0)[150] == "0"
    raw = fuzzer.connect()
    order = [(11, "FZ-FINAL"), (1, "FZ"), (55, "MSFT"), (54, "1"), (38, "7"), (40, "2"), (44, "100.05"), (60, now())]
    raw.send(encode("D", fuzzer.seq, order, sender=FUZZER))
    filled = raw.wait_for(lambda m: m.get(11) == b"FZ-FINAL" and m.get(39) == b"2", "the final fill")
    assert field(filled, 14) == "7"
    fuzzer.close()


def _write_stats(fuzzer: Fuzzer, seconds: float) -> None:
    target = os.environ.get("FIXGW_FUZZ_STATS")
    if target:
        stats = asdict(fuzzer.stats) | {"seconds": round(seconds, 1), "examples": EXAMPLES}
        stats["answers"] = dict(fuzzer.stats.answers)
        Path(target).write_text(json.dumps(stats, indent=2))
