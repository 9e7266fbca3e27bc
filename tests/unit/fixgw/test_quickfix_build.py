"""The installed quickfix is our patched build (patches/quickfix-1.16.0-fixgw.patch)."""

from __future__ import annotations

from pathlib import Path

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
