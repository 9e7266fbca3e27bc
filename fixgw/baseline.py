"""The baseline of ``fixgw bench``: a bare quickfix acceptor that fills every order at once and does nothing else.

It runs on the same patched quickfix build, the same session settings (data dictionary, file store and log) and
the same machine as the gateway, and answers every NewOrderSingle with the two ExecutionReports the gateway
sends per order on average (New, then Fill). The gateway's figures divided by these survive a noisy machine
better than either alone. Run as ``python -m fixgw.baseline SESSIONS_FILE``.
"""

from __future__ import annotations

import itertools
import signal
import sys
import threading
from pathlib import Path

import _quickfix  # the binding's own module: fixgw_send_all is ours (patches/README.md, 9)
import quickfix

_ACK = (("150", "0"), ("39", "0"), ("14", "0"), ("6", "0"))


class FillEverything(quickfix.Application):  # type: ignore[misc]
    """Acknowledge and fill each order in full at its price; tag-number calls only (cheap in the binding)."""

    fixgw_batch_from_app = True
    """The orders of one socket read come in one call with one acquisition of the GIL, and their reports leave in
    one call into the engine (patches/README.md, 9 and 11): the bare binding at its cheapest, as the gateway uses it."""

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)

    def onCreate(self, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        pass

    def onLogon(self, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        pass

    def onLogout(self, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        pass

    def toAdmin(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        pass

    def fromAdmin(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        pass

    def toApp(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        pass

    def fromApp(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        try:
            if message.getHeader().getField(35) == "D":
                self._fill(message, sessionID)
        except BaseException as exc:  # noqa: BLE001 - anything escaping a callback kills the engine (fixgw.session)
            print(f"baseline: {exc!r}", file=sys.stderr)

    def fixgw_from_app_batch(self, batch: list[tuple[quickfix.Message, quickfix.SessionID]]) -> None:
        reports: list[object] = []
        try:
            for message, _session_id in batch:
                if message.getHeader().getField(35) == "D":
                    reports.extend(self._reports(message))
            if reports:
                _quickfix.fixgw_send_all(reports, batch[0][1])  # one read: one connection, one session
        except BaseException as exc:  # noqa: BLE001 - as in fromApp
            print(f"baseline: {exc!r}", file=sys.stderr)

    def _fill(self, order: quickfix.Message, session_id: quickfix.SessionID) -> None:
        ack, fill = self._reports(order)
        quickfix.Session.sendToTarget(ack, session_id)
        quickfix.Session.sendToTarget(fill, session_id)

    def _reports(self, order: quickfix.Message) -> tuple[object, object]:
        n = next(self._ids)
        terms = [(tag, order.getField(tag)) for tag in (11, 55, 54, 38, 44)]
        qty, price = terms[3][1], terms[4][1]
        ack = _report(n, 2 * n - 1, terms, (*_ACK, ("151", qty)))
        fill = _report(
            n,
            2 * n,
            terms,
            (("150", "F"), ("39", "2"), ("14", qty), ("151", "0"), ("6", price), ("32", qty), ("31", price)),
        )
        return ack, fill


def _report(order_n: int, exec_n: int, terms: list[tuple[int, str]], extra: tuple[tuple[str, str], ...]) -> object:
    message = quickfix.Message()
    message.getHeader().setField(35, "8")
    message.setField(37, f"B{order_n}")
    message.setField(17, f"BX{exec_n}")
    for tag, value in terms:
        message.setField(tag, value)
    for tag_text, value in extra:
        message.setField(int(tag_text), value)
    return message


def main(sessions_file: str) -> None:
    """Serve until SIGTERM/SIGINT."""
    settings = quickfix.SessionSettings(sessions_file)
    application = FillEverything()
    acceptor = quickfix.SocketAcceptor(
        application, quickfix.FileStoreFactory(settings), settings, quickfix.FileLogFactory(settings)
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    acceptor.start()
    print(f"baseline acceptor running ({Path(sessions_file).name})", flush=True)
    stop.wait()
    acceptor.stop()


if __name__ == "__main__":
    main(sys.argv[1])
