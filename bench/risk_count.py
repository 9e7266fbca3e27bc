"""Pre-trade risk in instructions, not seconds: a driver to run under ``valgrind --tool=callgrind``.

Wall-clock figures on a shared machine swing by half from one minute to the next; instruction counts do not. Run
it twice with N and 2N calls: the difference, over N, is one call's cost (everything around the calls cancels out).

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/risk_count.py 2000 check
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/risk_count.py 4000 check

``check`` times the whole catalogue (``RiskEngine.check``), ``admit`` the message throttles, ``none`` only builds
the orders (subtract it from both). The engine and the orders are ``bench/risk_bench.py``'s. An optional third
argument sets ``[risk] band_reference`` (``last`` by default; ``mid`` or ``mid_else_last`` read a usable mid).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import risk_bench


def main() -> None:
    """Build the engine, then make ``argv[1]`` calls of the kind ``argv[2]``."""
    n, kind = int(sys.argv[1]), sys.argv[2]
    risk = risk_bench.engine(sys.argv[3] if len(sys.argv) > 3 else "last")
    orders = [risk_bench.order(i) for i in range(n)]
    if kind == "check":
        for o in orders:
            risk.check(o)
    elif kind == "admit":
        for o in orders:
            risk.admit(o.session, o.account, o.symbol)


if __name__ == "__main__":
    main()
