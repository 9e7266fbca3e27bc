"""Keep a Python thread state on each quickfix thread for the thread's life.

Why: quickfix calls into Python (``fromApp``, ``fromAdmin`` ...) from its own engine threads, through SWIG
directors that wrap every upcall in ``PyGILState_Ensure`` / ``PyGILState_Release``. On a thread that has no Python
thread state, each Ensure creates one and the matching Release destroys it again: an allocation, a registration with
the interpreter and a teardown (threading.local data included) around every message the engine hands us. One extra
``PyGILState_Ensure``, taken on the thread's first upcall and never released, keeps the state alive; every later
upcall then only takes the GIL. The state is freed with the interpreter (one per engine thread: a few kB).
"""

from __future__ import annotations

import ctypes
import threading

# ctypes.pythonapi calls with the GIL held (a PyDLL): the nested Ensure only raises the thread's counter.
_ensure = ctypes.pythonapi.PyGILState_Ensure
_ensure.restype = ctypes.c_int
_local = threading.local()


def pin() -> None:
    """Keep the calling thread's Python thread state until the interpreter ends (idempotent, ~0.1 µs after the
    first call on a thread)."""
    if getattr(_local, "pinned", False):
        return
    _local.pinned = True
    _ensure()
