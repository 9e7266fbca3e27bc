"""The gateway's order path in instructions, not seconds: a driver to run under ``valgrind --tool=callgrind``.

Wall-clock figures on a shared machine swing by half from one minute to the next; instruction counts do not (as
``bench/risk_count.py`` does for the risk catalogue). This drives N NewOrderSingles through the in-process gateway of
``bench/inprocess_bench.py`` (decode, OMS, risk, EMS, the internal venue's matching, the reports queued for the
journal), on this thread only: the journal writer is not started, so nothing else runs. Run it with N and 2N orders:
the difference, over N, is one order's cost (start-up cancels out). Compare two trees by running each one's copy.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/order_path_count.py 1000
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/order_path_count.py 2000
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import quickfix

sys.path.insert(0, str(Path(__file__).resolve().parent))
import inprocess_bench


def main() -> None:
    """Build the gateway, then hand it ``argv[1]`` orders."""
    count = int(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        gateway = inprocess_bench.build(Path(tmp))
        app = gateway.clients.app
        session_id = quickfix.SessionID("FIX.4.4", "FIXGW", "CLIENT1")
        for message in inprocess_bench.orders(1, count):
            app._from_app(message=message, session_id=session_id)
        gateway.db.dispose()


if __name__ == "__main__":
    main()
