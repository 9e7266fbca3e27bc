"""Write our own log fixtures (tests/replay/fixtures/own/): the layouts and order flows of ../shared/fixlogs,
made up here so that the suite tests replay where the shared folder is absent or may not be copied.

    .venv/bin/python -m tests.replay.make_fixtures

Messages are built with simplefix (BodyLength and CheckSum right unless a fixture spoils one on purpose);
the output is deterministic, so running this again changes nothing unless this file changed.
"""

from __future__ import annotations

from pathlib import Path

import simplefix

OWN = Path(__file__).resolve().parent / "fixtures" / "own"
SOH = b"\x01"


def fix(
    begin: str, msg_type: str, seq: int, sender: str, target: str, time: str, fields: list[tuple[int, str]]
) -> bytes:
    """Encode a message (SOH-delimited, BodyLength and CheckSum computed)."""
    message = simplefix.FixMessage()
    message.append_pair(8, begin)
    message.append_pair(35, msg_type)
    message.append_pair(49, sender)
    message.append_pair(56, target)
    message.append_pair(34, seq)
    message.append_pair(52, time)
    for tag, value in fields:
        message.append_pair(tag, value)
    return bytes(message.encode())


class Broker:
    """An IREACH-like client and a broker, messages numbered per direction (Ireach's layout)."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.seq = {"CLIENT": 100, "BROKER": 200}
        self.clock = 0

    def send(self, sender: str, msg_type: str, fields: list[tuple[int, str]], *, skip: int = 0) -> None:
        self.seq[sender] += 1 + skip
        self.clock += 1
        target = "BROKER" if sender == "CLIENT" else "CLIENT"
        time = f"20200302-11:{self.clock // 60:02d}:{self.clock % 60:02d}.000"
        raw = fix("FIX.4.4", msg_type, self.seq[sender], sender, target, time, fields).replace(SOH, b";")
        word = "Incoming" if sender == "CLIENT" else "Outgoing"
        local = f"2020/03/02-06:{self.clock // 60:02d}:{self.clock % 60:02d},000"
        self.lines.append(f"{local} INFO :: Tracing{word}Message[UAT]: ".encode() + raw)

    def order(self, cl_ord_id: str, qty: str, price: str, side: str = "1") -> None:
        self.send(
            "CLIENT",
            "D",
            [(11, cl_ord_id), (55, "LLOY"), (54, side), (38, qty), (40, "2"), (44, price), (60, "20200302-11:00:00")],
        )

    def report(
        self,
        cl_ord_id: str,
        exec_id: str,
        exec_type: str,
        status: str,
        qty: str,
        cum: str,
        leaves: str,
        *,
        orig: str | None = None,
        last: tuple[str, str] | None = None,
        extra: list[tuple[int, str]] = (),
        skip: int = 0,
    ) -> None:
        fields = [
            (37, f"B-{cl_ord_id.split('.')[0]}"),
            (11, cl_ord_id),
            (17, exec_id),
            (150, exec_type),
            (39, status),
            (55, "LLOY"),
            (54, "1"),
            (38, qty),
            (14, cum),
            (151, leaves),
            (6, "0"),
        ]
        if orig:
            fields.append((41, orig))
        if last:
            fields += [(32, last[0]), (31, last[1])]
        self.send("BROKER", "8", fields + list(extra), skip=skip)


def broker_chains() -> bytes:
    """Replace, cancel, cancel reject, a fill then its bust (CumQty down), a reject, a fill nobody ordered."""
    b = Broker()
    # A: 1000 @ 59.70, partly filled, replaced to 1200, a cancel refused, replaced again (the request names the
    # still-live ClOrdID A.2, not the refused A.3), then filled.
    b.order("A.1", "1000", "59.70")
    b.report("A.1", "E1", "0", "0", "1000", "0", "1000")
    b.report("A.1", "E2", "F", "1", "1000", "400", "600", last=("400", "59.70"))
    b.send(
        "CLIENT",
        "G",
        [
            (11, "A.2"),
            (41, "A.1"),
            (55, "LLOY"),
            (54, "1"),
            (38, "1200"),
            (40, "2"),
            (44, "59.80"),
            (60, "20200302-11:00:00"),
        ],
    )
    b.report("A.2", "E3", "E", "E", "1000", "400", "600", orig="A.1")
    b.report("A.2", "E4", "5", "1", "1200", "400", "800", orig="A.1")
    b.send("CLIENT", "F", [(11, "A.3"), (41, "A.2"), (55, "LLOY"), (54, "1"), (60, "20200302-11:00:00")])
    b.send("BROKER", "9", [(37, "B-A"), (11, "A.3"), (41, "A.2"), (39, "1"), (434, "1"), (102, "0"), (58, "too late")])
    b.send(
        "CLIENT",
        "G",
        [
            (11, "A.4"),
            (41, "A.2"),
            (55, "LLOY"),
            (54, "1"),
            (38, "800"),
            (40, "2"),
            (44, "59.80"),
            (60, "20200302-11:00:00"),
        ],
    )
    b.report("A.4", "E5", "E", "E", "1200", "400", "800", orig="A.2")
    b.report("A.4", "E6", "5", "1", "800", "400", "400", orig="A.2")
    b.report("A.4", "E7", "F", "2", "800", "800", "0", last=("400", "59.80"))
    # B: a fill of 500, then its bust (ExecTransType 20=1) takes CumQty back to 0; then cancelled.
    b.order("B.1", "1000", "9.25")
    b.report("B.1", "F1", "0", "0", "1000", "0", "1000")
    b.report("B.1", "F2", "F", "1", "1000", "500", "500", last=("500", "9.25"))
    b.report("B.1", "F3", "0", "0", "1000", "0", "1000", extra=[(20, "1"), (19, "F2")])
    b.send("CLIENT", "F", [(11, "B.2"), (41, "B.1"), (55, "LLOY"), (54, "1"), (60, "20200302-11:00:00")])
    b.report("B.2", "F4", "4", "4", "1000", "0", "0", orig="B.1")
    # C: rejected; the broker's next message skips two sequence numbers.
    b.order("C.1", "5000", "1")
    b.report("C.1", "G1", "8", "8", "5000", "0", "0", extra=[(58, "price band")], skip=2)
    # A fill on an order this log never showed.
    b.report("Z.1", "H1", "F", "1", "100", "100", "0", last=("100", "60"))
    return b"\n".join(b.lines) + b"\n"


def wrapped_in_out() -> bytes:
    """IN/OUT engine log with CRLF: a TestRequest, its Heartbeat, a 2,500-byte Email wrapped over 3 lines."""
    t = "20110110-01:02:03"
    lines = [b"(12:02:03.00000) Start of new logging session"]
    lines.append(b"(12:02:03.01000) OUT " + fix("FIX.4.2", "A", 1, "GEH", "GEH", t, [(98, "0"), (108, "30")]))
    lines.append(b"(12:02:03.02000) IN " + fix("FIX.4.2", "A", 1, "GEH", "GEH", t, [(98, "0"), (108, "30")]))
    lines.append(b"(12:02:03.03000) IN " + fix("FIX.4.2", "1", 2, "GEH", "GEH", t, [(112, "1")]))
    lines.append(b"(12:02:03.04000) OUT " + fix("FIX.4.2", "0", 2, "GEH", "GEH", t, [(112, "1")]))
    text = ",".join(f"Venue{n}=True" for n in range(250))
    email = fix("FIX.4.2", "C", 3, "GEH", "GEH", t, [(147, "Destinations"), (94, "0"), (33, "1"), (58, text)])
    for start in range(0, len(email), 1000):
        lines.append(b"(12:02:03.05000) IN " + email[start : start + 1000])
    lines.append(b"(12:02:03.06000) OUT " + fix("FIX.4.2", "5", 3, "GEH", "GEH", t, []))
    return b"\r\n".join(lines) + b"\r\n"


def arrows() -> bytes:
    """Log4FIX-style arrows: NUL bytes before the message, junk after the CheckSum, a fixture trailer."""
    t = "20060410-12:01:59"
    order = fix(
        "FIX.4.2",
        "D",
        94,
        "COY",
        "EXCH",
        t,
        [(11, "71-593"), (21, "1"), (55, "CREE"), (54, "1"), (40, "2"), (38, "4100.000000"), (44, "10")],
    )
    done = fix(
        "FIX.4.2",
        "8",
        33911,
        "EXCH",
        "COY",
        t,
        [
            (17, "1"),
            (20, "0"),
            (39, "3"),
            (37, "X1"),
            (11, "OLD-1"),
            (54, "1"),
            (55, "LU"),
            (38, "500"),
            (14, "0"),
            (151, "0"),
            (6, "0"),
        ],
    )
    return (
        b"20060410-07:01:59 ->\x00 \x00"
        + order
        + b"\r\n"
        + b"04/10/2006  15:20:39:   <== "
        + done
        + b"        JUNK OUT HERE\r\n"
        + b"\r\n@@EXPECTED_RESULTS@@\r\nExpectedMessageCount=2"
    )


def screenlog() -> bytes:
    """QuickFIX/J ScreenLog: messages in parentheses, event lines, CRLF, no final newline."""
    t = "20200713-17:51:24.109"
    session = "FIX.4.4:FIXTESTA->MONTRANTS"
    logon = fix("FIX.4.4", "A", 1, "FIXTESTA", "MONTRANTS", t, [(98, "0"), (108, "30")])
    order = fix(
        "FIX.4.4",
        "D",
        2,
        "FIXTESTA",
        "MONTRANTS",
        t,
        [(11, "T5"), (38, "100"), (40, "2"), (44, "95.00"), (54, "1"), (55, "ADB03M"), (60, t)],
    )
    ack = fix(
        "FIX.4.4",
        "8",
        2,
        "MONTRANTS",
        "FIXTESTA",
        t,
        [
            (11, "T5"),
            (37, "M7"),
            (17, "17"),
            (150, "0"),
            (39, "0"),
            (54, "1"),
            (55, "ADB03M"),
            (14, "0"),
            (151, "100"),
            (6, "0"),
        ],
    )
    lines = [
        f"<20200713-17:51:23, {session}, event> (session created)".encode(),
        f"<20200713-17:51:24, {session}, outgoing> (".encode() + logon + b")",
        b"",
        f"<20200713-17:51:28, {session}, outgoing> (".encode() + order + b")",
        f"<20200713-17:51:28, {session}, incoming> (".encode() + ack + b")",
    ]
    return b"\r\n".join(lines)


def store_body() -> bytes:
    """A FileStore .body: outgoing messages back to back; a Logon's RawData holds SOH and '='."""
    t = "20200324-16:44:25.107"
    raw = b"k=1\x01v=2"
    logon = simplefix.FixMessage()
    for tag, value in [
        (8, "FIX.4.4"),
        (35, "A"),
        (49, "MUREX"),
        (56, "360T"),
        (34, "1"),
        (52, t),
        (98, "0"),
        (108, "60"),
    ]:
        logon.append_pair(tag, value)
    logon.append_data(95, 96, raw)
    heartbeat = fix("FIX.4.4", "0", 2, "MUREX", "360T", t, [])
    return bytes(logon.encode()) + heartbeat


def quickfixgo() -> bytes:
    """quickfixgo FileLog: the peer logs on at 89, is asked to resend, answers with a gap fill."""
    stamp = "2018/02/23 19:14:25.174454 "
    t = "20180223-19:14:25.171"
    messages = [
        fix("FIX.4.2", "A", 89, "BON", "KOD", t, [(98, "0"), (108, "30")]),
        fix("FIX.4.2", "A", 1, "KOD", "BON", t, [(98, "0"), (108, "30")]),
        fix("FIX.4.2", "2", 2, "KOD", "BON", t, [(7, "1"), (16, "0")]),
        fix("FIX.4.2", "4", 1, "BON", "KOD", t, [(43, "Y"), (122, t), (123, "Y"), (36, "90")]),
        fix("FIX.4.2", "0", 90, "BON", "KOD", t, []),
        fix("FIX.4.2", "0", 3, "KOD", "BON", t, []),
    ]
    return b"".join(stamp.encode() + m + b"\n" for m in messages)


FIXTURES = {
    "broker-chains.log": broker_chains,
    "wrapped-in-out.log": wrapped_in_out,
    "arrows.log": arrows,
    "screenlog.log": screenlog,
    "FIX.4.4-MUREX-360T.body": store_body,
    "FIX.4.2-KOD-BON.messages.current.log": quickfixgo,
}


def main() -> None:
    """Write every fixture."""
    OWN.mkdir(parents=True, exist_ok=True)
    for name, make in FIXTURES.items():
        (OWN / name).write_bytes(make())
        print(f"wrote {OWN / name}")


if __name__ == "__main__":
    main()
