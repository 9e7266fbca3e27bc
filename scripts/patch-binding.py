"""Rewrite the SWIG wrappers of pure in-memory quickfix calls so that they keep the GIL (patches/README.md, 8).

Run on an unpacked quickfix 1.16.0 sdist with the earlier hunks applied; then ``diff -u`` of
``C++/QuickfixPython.cpp`` against the pristine sdist's is the QuickfixPython.cpp section of the patch. Kept here
so the generated hunks can be made again (e.g. for a new quickfix version), not run by the build.

    python3 scripts/keep-gil.py path/to/quickfix-1.16.0
"""

import re
import sys
from pathlib import Path

# No lock, no I/O, no callback into Python: safe to run with the GIL held.
KEEP = re.compile(
    r"^SWIGINTERN PyObject \*_wrap_(new_Message__SWIG_\d+|delete_Message|Message_toString__SWIG_\d+|"
    r"Message_getHeader__SWIG_\d+|Message_getTrailer__SWIG_\d+|FieldMap_getField__SWIG_\d+|"
    r"FieldMap_setField__SWIG_\d+|FieldMap_isSetField__SWIG_\d+|SessionID_toString__SWIG_\d+|"
    r"new_SessionID__SWIG_\d+|delete_SessionID)\("
)
WRAPPER = re.compile(r"^SWIGINTERN PyObject \*_wrap_")
MARKS = {
    "SWIG_PYTHON_THREAD_BEGIN_ALLOW;": "/* fixgw: GIL kept (pure in-memory call) */",
    "SWIG_PYTHON_THREAD_END_ALLOW;": "/* fixgw: GIL kept */",
}


def main(sdist: Path) -> None:
    path = sdist / "C++" / "QuickfixPython.cpp"
    lines = path.read_text().split("\n")
    inside, changed = False, 0
    for i, line in enumerate(lines):
        if WRAPPER.match(line):
            inside = bool(KEEP.match(line))
        if inside and line.strip() in MARKS:
            lines[i] = line.replace(line.strip(), MARKS[line.strip()])
            changed += 1
    path.write_text("\n".join(lines))
    print(f"{changed} GIL releases removed from {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
