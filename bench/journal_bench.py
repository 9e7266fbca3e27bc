"""How many fills per second the book of record commits, with group commit, on SQLite and PostgreSQL.

Each fill is what the OMS journals for one venue fill: the order snapshot, the execution, the position and the
client's report (delivered after commit). Durable: SQLite in WAL mode, synchronous=NORMAL (survives kill -9);
PostgreSQL with its default synchronous_commit=on (survives power loss). ``--batch 1`` forces one commit per
fill, to show what group commit saves.

    .venv/bin/python bench/journal_bench.py [--fills 20000] [--postgres URL] [--batch N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from decimal import Decimal

from sqlalchemy import create_engine, text

from domain.clock import LiveClock
from domain.enums import ExecType, OrdStatus, Side
from domain.ids import Account, ClOrdId, ExecId, OrderId, SessionKey, Symbol
from domain.reports import ExecutionReport
from oms.store import journal as journal_module
from oms.store.database import open_database
from oms.store.journal import Journal


def entry(i: int) -> tuple[dict, dict, ExecutionReport, dict]:
    order_id = f"O{i}"
    order = {
        "order_id": order_id,
        "seq": i,
        "session": "S",
        "cl_ord_id": f"C{i}",
        "orig_cl_ord_id": None,
        "account": "A",
        "symbol": "MSFT",
        "side": "1",
        "ord_type": "2",
        "time_in_force": "0",
        "price": Decimal("100.05"),
        "order_qty": Decimal(100),
        "cum_qty": Decimal(100),
        "leaves_qty": Decimal(0),
        "avg_px": Decimal("100.01"),
        "status": "2",
        "venue": "V",
        "venue_cl_ord_id": order_id,
        "venue_order_id": f"V{i}",
        "ord_rej_reason": None,
        "text": None,
        "requests_sent": 0,
        "pending": None,
        "created_ns": i,
        "updated_ns": i,
    }
    execution = {
        "exec_id": f"{order_id}-2",
        "order_id": order_id,
        "venue": "V",
        "venue_exec_id": f"E{i}",
        "account": "A",
        "symbol": "MSFT",
        "side": "1",
        "last_qty": Decimal(100),
        "last_px": Decimal("100.01"),
        "ts_ns": i,
    }
    report = ExecutionReport(
        session=SessionKey("S"),
        order_id=OrderId(order_id),
        cl_ord_id=ClOrdId(f"C{i}"),
        exec_id=ExecId(f"{i}"),
        exec_type=ExecType.TRADE,
        ord_status=OrdStatus.FILLED,
        account=Account("A"),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ord_type=None,
        price=None,
        order_qty=Decimal(100),
        cum_qty=Decimal(100),
        leaves_qty=Decimal(0),
        avg_px=Decimal("100.01"),
        last_qty=Decimal(100),
        last_px=Decimal("100.01"),
        transact_time_ns=i,
    )
    position = {
        "account": "A",
        "symbol": "MSFT",
        "qty": Decimal(i),
        "avg_cost": Decimal("100.01"),
        "realized_pnl": Decimal(0),
        "fees": Decimal(0),
        "mark": Decimal("100.01"),
        "bought_qty": Decimal(i),
        "sold_qty": Decimal(0),
        "updated_ns": i,
    }
    return order, execution, report, position


def run(url: str, fills: int) -> tuple[float, int]:
    engine = open_database(url)
    delivered = []
    journal = Journal(engine, deliver=delivered.extend, clock=LiveClock())
    entries = [entry(i) for i in range(1, fills + 1)]
    journal.start()
    start = time.perf_counter()
    for order, execution, report, position in entries:
        journal.append(order=order, execution=execution, report=report, position=position)
    assert journal.flush(600)
    elapsed = time.perf_counter() - start
    journal.stop()
    engine.dispose()
    assert len(delivered) == fills
    return fills / elapsed, journal.batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fills", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2000, help="largest batch (1 = a commit per fill)")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    journal_module._MAX_BATCH = args.batch
    targets = {"sqlite": None, "postgresql": args.postgres}
    for name, base in targets.items():
        rates, batches = [], []
        for _ in range(args.runs):
            if name == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    rate, n = run(f"sqlite:///{tmp}/bench.db", args.fills)
            else:
                rate, n = _on_postgres(base, args.fills)
            rates.append(rate)
            batches.append(n)
        print(
            f"{name:10} fills/s median {statistics.median(rates):9,.0f}  (runs: "
            f"{', '.join(f'{r:,.0f}' for r in rates)}; commits per run ~{statistics.median(batches):,.0f}; "
            f"max batch {args.batch})"
        )


def _on_postgres(base: str, fills: int) -> tuple[float, int]:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    schema = f"fixgw_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        return run(f"{base}?options=-csearch_path%3D{schema}", fills)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
