"""Deep fuzz run: the live-session fuzz test (tests/integration/test_fuzz_session.py) with many more batches.

    .venv/bin/python bench/fuzz_session.py                      # 3,000 batches (>= 15,000 mutated messages)
    .venv/bin/python bench/fuzz_session.py --batches 20000      # a longer soak; ~100 batches take ~10-20 s

It runs exactly the test that CI runs (same strategies, same end checks: no error on any FIX callback, the other
client's session and resting order untouched, every order in memory equal to its SQL row, the fuzzed session
still trades), only with ``FIXGW_FUZZ_EXAMPLES`` raised, and prints the run's counts: messages sent, batches,
logons (the gateway ends the session for some mutations, as the protocol requires), probes answered, stalls
(frames whose BodyLength swallows what follows, resolved by hanging up) and the gateway's answers by MsgType.
Everything stays on 127.0.0.1, on free ports. Exit status: pytest's (0 when every check held).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/integration/test_fuzz_session.py"


def main() -> int:
    """Run the fuzz test with many batches and print its statistics."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=3000, help="hypothesis examples (5-10 messages each)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        stats_file = Path(work) / "stats.json"
        env = os.environ | {"FIXGW_FUZZ_EXAMPLES": str(args.batches), "FIXGW_FUZZ_STATS": str(stats_file)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST]
        status = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
        if stats_file.is_file():
            stats = json.loads(stats_file.read_text())
            rate = stats["messages"] / stats["seconds"] if stats["seconds"] else 0.0
            print(
                f"fuzz: {stats['messages']} mutated messages in {stats['batches']} batches, {stats['seconds']} s "
                f"({rate:.0f} messages/s); logons {stats['logons']}, probes answered {stats['probes_answered']}, "
                f"stalls {stats['stalls']}"
            )
            print("gateway answers by MsgType:", json.dumps(stats["answers"], sort_keys=True))
    return status


if __name__ == "__main__":
    sys.exit(main())
