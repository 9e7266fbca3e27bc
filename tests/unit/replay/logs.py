"""Build FIX log lines and files for the replay unit tests."""

from __future__ import annotations

from pathlib import Path

from replay.message import LogMessage
from replay.reader import LogReader
from tests.replay.make_fixtures import fix

SOH = b"\x01"
T = "20240102-10:00:00.000"


def order(
    seq: int,
    cl_ord_id: str,
    qty: str = "100",
    price: str = "10",
    side: str = "1",
    *,
    sender: str = "CLIENT",
    target: str = "BROKER",
    **extra: str,
) -> bytes:
    """A NewOrderSingle (35=D)."""
    fields = [(11, cl_ord_id), (55, "MSFT"), (54, side), (38, qty), (40, "2"), (44, price), (60, T)]
    return fix("FIX.4.4", "D", seq, sender, target, T, fields + _extra(extra))


def request(msg_type: str, seq: int, cl_ord_id: str, orig: str, **extra: str) -> bytes:
    """An OrderCancelRequest (F) or OrderCancelReplaceRequest (G)."""
    fields = [(11, cl_ord_id), (41, orig), (55, "MSFT"), (54, "1"), (60, T)]
    return fix("FIX.4.4", msg_type, seq, "CLIENT", "BROKER", T, fields + _extra(extra))


def report(
    seq: int,
    cl_ord_id: str,
    exec_id: str,
    exec_type: str,
    status: str,
    cum: str,
    leaves: str,
    qty: str = "100",
    *,
    sender: str = "BROKER",
    target: str = "CLIENT",
    **extra: str,
) -> bytes:
    """An ExecutionReport (35=8) from the broker."""
    fields = {
        37: "B1",
        11: cl_ord_id,
        17: exec_id,
        150: exec_type,
        39: status,
        55: "MSFT",
        54: "1",
        38: qty,
        14: cum,
        151: leaves,
        6: "0",
    } | dict(_extra(extra))
    return fix("FIX.4.4", "8", seq, sender, target, T, list(fields.items()))


def _extra(extra: dict[str, str]) -> list[tuple[int, str]]:
    return [(int(tag.lstrip("t")), value) for tag, value in extra.items()]


def write(tmp_path: Path, *lines: bytes, name: str = "test.log", end: bytes = b"\n") -> Path:
    """Write ``lines`` (each ended by ``end``) to a file."""
    path = tmp_path / name
    path.write_bytes(b"".join(line + end for line in lines))
    return path


def read(path: Path, own_comp_id: str | None = "BROKER") -> list[LogMessage]:
    """Every message of ``path``."""
    return list(LogReader(path, own_comp_id=own_comp_id))
