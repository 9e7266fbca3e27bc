"""The whole order path under load: ``fixgw bench`` with the plan the README's figures come from.

Baseline (a bare quickfix acceptor filling every order), the gateway with the external FIX venue simulator, and
the gateway with the internal venue: 5 runs of 20,000 orders at window 100 and 5 runs of 2,000 orders at
window 1, medians reported; the machine's load average is printed with the figures (2 shared cores here).

    .venv/bin/python bench/order_path_bench.py [extra fixgw bench options, e.g. --json or --orders 1000000]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PLAN = ["--orders", "20000", "--latency-orders", "2000", "--window", "100", "--runs", "5", "--warmup", "1000"]


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-c", "from app.cli import main; main()", "bench", *PLAN, *sys.argv[1:]]
    print("$ fixgw bench " + " ".join([*PLAN, *sys.argv[1:]]), flush=True)
    return subprocess.call(command, cwd=root)


if __name__ == "__main__":
    raise SystemExit(main())
