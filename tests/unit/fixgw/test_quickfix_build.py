"""The installed quickfix is our patched build (patches/quickfix-1.16.0-fixgw.patch)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import quickfix


def _extension() -> bytes:
    [library] = Path(quickfix.__file__).parent.glob("_quickfix*.so")
    return library.read_bytes()


def test_quickfix_binding_when_installed_then_pytype_modified_call_is_patched_out() -> None:
    # The unpatched wrapper calls PyType_Modified on every object it wraps (swig/swig#3561); it is the only
    # call, so the patched extension does not import the symbol at all. PyType_Ready is the control: every
    # SWIG module imports it, so finding it shows the check reads the right table.
    library = _extension()

    assert b"PyType_Ready" in library
    assert b"PyType_Modified" not in library


def test_quickfix_binding_when_installed_then_version_is_the_pinned_one() -> None:
    from importlib.metadata import version

    assert version("quickfix") == "1.16.0"


_NOW = "20261202-07:00:00.000"
_ORDER = (
    f"8=FIX.4.4\x019=0\x0135=D\x0134=2\x0149=CLIENT1\x0152={_NOW}\x0156=FIXGW\x0111=C1\x0155=MSFT\x0154=1"
    f"\x0138=100\x0140=2\x0144=100.00\x0160={_NOW}\x0110=000\x01"
)


def _calls_made_by_the_order_path() -> list[Callable[[], object]]:
    message = quickfix.Message(_ORDER, False)
    session_id = quickfix.SessionID("FIX.4.4", "FIXGW", "CLIENT1")
    return [
        lambda: quickfix.Message(_ORDER, False),  # outbound reports are parsed from text (fixgw.codec.outbound)
        message.toString,  # every received message is read from its text (fixgw.codec.fields.QfFields)
        session_id.toString,
        lambda: message.getField(55),
        lambda: message.setField(58, "x"),
        lambda: message.getHeader().getField(35),
    ]


@pytest.mark.parametrize("index", range(6))
def test_quickfix_binding_when_cheap_call_made_then_gil_is_kept(index: int) -> None:
    # Upstream SWIG releases the GIL around every wrapped call. With a second Python thread running (the
    # journal writer, beside the FIX thread), a release can hand the GIL over, and the caller then waits for the
    # other thread's next release: a microsecond call costs up to a switch interval. The patch keeps the GIL
    # across pure in-memory calls (patches/README.md, hunk 8). The proof: a busy thread can run only when the GIL
    # is released, so with forced switches out of reach (a switch interval longer than the loop below) its
    # counter must not move while the main thread makes the calls. On the unpatched build it moves within a few
    # milliseconds of calls; the loop makes them for 0.1 s.
    call = _calls_made_by_the_order_path()[index]
    ticks = [0]
    go, stop = threading.Event(), threading.Event()

    def busy() -> None:
        go.wait()
        while not stop.is_set():
            ticks[0] += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(2.0)  # set before the busy thread first waits for the GIL, so its wait uses it
    thread = threading.Thread(target=busy, daemon=True)
    thread.start()
    try:
        go.set()  # from here on it wants the GIL, and can have it only when a call releases it
        deadline = time.perf_counter() + 0.1
        while time.perf_counter() < deadline and ticks[0] == 0:
            for _ in range(100):
                call()
        ran = ticks[0]
    finally:
        stop.set()
        sys.setswitchinterval(interval)
        thread.join()

    assert ran == 0


def test_file_store_when_message_holds_nul_then_read_back_whole(tmp_path: Path) -> None:
    # Upstream FileStore::get assigned the stored record as a C string, cutting it at the first NUL; the engine then
    # could not parse the record ("SOH not found at end of field") and a ResendRequest reaching it resent nothing
    # from there on (patches/README.md, 10). The record is read back by the store that wrote it and by a new one
    # that finds it on disk.
    record = (
        f"8=FIX.4.4\x019=70\x0135=3\x0134=2\x0149=FIXGW\x0152={_NOW}\x0156=CLIENT1\x0145=2\x01372=\x00\x0110=000\x01"
    )
    factory = quickfix.FileStoreFactory(str(tmp_path))
    session_id = quickfix.SessionID("FIX.4.4", "FIXGW", "CLIENT1")
    store = factory.create(quickfix.UtcTimeStamp(), session_id)
    try:
        assert store.set(2, record) and store.set(3, "after")
        written = quickfix.VectorString()
        store.get(1, 3, written)
    finally:
        factory.destroy(store)
    store = factory.create(quickfix.UtcTimeStamp(), session_id)
    try:
        reopened = quickfix.VectorString()
        store.get(1, 3, reopened)
    finally:
        factory.destroy(store)

    assert list(written) == list(reopened) == [record, "after"]
