"""What one MarketDataIncrementalRefresh (35=X) of five entries costs to decode and encode (fixgw.codec.marketdata).

The message is as the gateway receives one from the simulator: written by quickfix, parsed and validated against
specs/FIX44.xml. "decode" starts from the ``QfFields`` the session layer makes of every message anyway;
"QfFields + decode" includes it. Best of five runs (µs per message); a shared machine makes the medians noisy.

    .venv/bin/python bench/md_codec_bench.py [--number 20000]
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from decimal import Decimal

import quickfix

from domain.clock import TestClock
from domain.ids import Symbol, VenueId
from domain.marketdata import BookIncrement, MDEntry, MDEntryType, MDUpdateAction
from fixgw.codec import marketdata
from fixgw.codec.fields import QfFields

VENUE = VenueId("VENUE")


def increment(entries: int) -> BookIncrement:
    return BookIncrement(
        venue=VENUE,
        md_req_id="S1",
        entries=tuple(
            MDEntry(
                entry_type=MDEntryType.BID if i % 2 else MDEntryType.OFFER,
                price=Decimal("100.01") + i,
                size=Decimal(500 + i),
                action=MDUpdateAction.CHANGE,
                symbol=Symbol("MSFT"),
                rpt_seq=100 + i,
            )
            for i in range(entries)
        ),
    )


def received(message: quickfix.Message) -> quickfix.Message:
    header = message.getHeader()
    for tag, value in ((8, "FIX.4.4"), (49, "VENUEMD"), (56, "FIXGW"), (34, "2"), (52, "20260101-00:00:00.000")):
        header.setField(tag, value)
    return quickfix.Message(message.toString(), marketdata._dictionary(), True)


def best_us(run: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(run, number=number, repeat=5)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000)
    args = parser.parse_args()
    sent = increment(5)
    wire = received(marketdata.incremental_refresh(sent))
    fields = QfFields(wire)
    clock = TestClock(1)
    assert marketdata.decode_incremental_refresh(fields, VENUE, clock).entries == sent.entries
    runs: dict[str, Callable[[], object]] = {
        "decode 35=X (5 entries)": lambda: marketdata.decode_incremental_refresh(fields, VENUE, clock),
        "QfFields + decode 35=X": lambda: marketdata.decode_incremental_refresh(QfFields(wire), VENUE, clock),
        "encode 35=X (5 entries)": lambda: marketdata.incremental_refresh(sent),
    }
    for name, run in runs.items():
        print(f"{name:28} {best_us(run, args.number):7.2f} µs")


if __name__ == "__main__":
    main()
