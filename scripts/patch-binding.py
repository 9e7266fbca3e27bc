"""Make the edits of patches/README.md hunks 8-9 to quickfix's SWIG-generated binding.

Run on an unpacked quickfix 1.16.0 sdist with the earlier hunks applied; then ``diff -u`` of ``C++/QuickfixPython.cpp``
and ``C++/QuickfixPython.h`` against the pristine sdist's are those files' sections of the patch. Kept so the
generated hunks can be made again (for a new quickfix version, say); the build does not run it.

    python3 scripts/patch-binding.py path/to/quickfix-1.16.0
"""

import re
import sys
from pathlib import Path

# 8. No lock, no I/O, no callback into Python: safe to run with the GIL held.
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

# 9a. An Application whose Python class says ``fixgw_to_app = False`` is not called for outgoing application
# messages: Session::sendRaw then never waits for the GIL.
TO_APP = "void SwigDirector_Application::toApp(FIX::Message &arg0,FIX::SessionID const &arg1) {\n"
TO_APP_GUARD = """  /* fixgw: skip the upcall for an application that declares fixgw_to_app = False (patches/README.md, 9) */
  if (fixgw_to_app.load(std::memory_order_relaxed) == 0) {
    return;
  }
  if (fixgw_to_app.load(std::memory_order_relaxed) < 0) {
    SWIG_PYTHON_THREAD_BEGIN_BLOCK;
    int call = 1;
    PyObject *flag = swig_get_self() ? PyObject_GetAttrString(swig_get_self(), "fixgw_to_app") : NULL;
    if (flag) {
      call = PyObject_IsTrue(flag) != 0;
      Py_DECREF(flag);
    } else {
      PyErr_Clear();
    }
    fixgw_to_app.store(call, std::memory_order_relaxed);
    SWIG_PYTHON_THREAD_END_BLOCK;
    if (!call) {
      return;
    }
  }
"""  # noqa: E501 - the C++ text is what the patch holds
HEADER_CLASS = "class SwigDirector_Application : public FIX::Application, public Swig::Director {\n\npublic:\n"
HEADER_MEMBER = "    std::atomic<int> fixgw_to_app{-1}; /* fixgw: -1 not asked yet, 0 skip toApp, 1 call it */\n"

# 9b. Send many messages to one session with one release of the GIL (the journal writer's batch of reports).
SEND_ALL = """
/* fixgw: Session::sendToTarget for each message of a sequence, with the GIL released once for them all
   (patches/README.md, 9). Returns how many were sent; raises SessionNotFound as sendToTarget does. */
SWIGINTERN PyObject *_wrap_fixgw_send_all(PyObject *self, PyObject *args) {
  PyObject *items = 0, *session = 0;
  void *session_ptr = 0;
  (void)self;
  if (!PyArg_ParseTuple(args, "OO:fixgw_send_all", &items, &session)) {
    return NULL;
  }
  if (!SWIG_IsOK(SWIG_ConvertPtr(session, &session_ptr, SWIGTYPE_p_FIX__SessionID, 0)) || !session_ptr) {
    PyErr_SetString(PyExc_TypeError, "fixgw_send_all: the second argument must be a SessionID");
    return NULL;
  }
  PyObject *seq = PySequence_Fast(items, "fixgw_send_all: the first argument must be a sequence of Message");
  if (!seq) {
    return NULL;
  }
  std::vector<FIX::Message *> messages;
  Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
  messages.reserve(count);
  for (Py_ssize_t i = 0; i < count; ++i) {
    void *message = 0;
    if (!SWIG_IsOK(SWIG_ConvertPtr(PySequence_Fast_GET_ITEM(seq, i), &message, SWIGTYPE_p_FIX__Message, 0))
        || !message) {
      Py_DECREF(seq);
      PyErr_SetString(PyExc_TypeError, "fixgw_send_all: every item must be a Message");
      return NULL;
    }
    messages.push_back(reinterpret_cast<FIX::Message *>(message));
  }
  const FIX::SessionID &session_id = *reinterpret_cast<FIX::SessionID *>(session_ptr);
  Py_ssize_t sent = 0;
  bool not_found = false;
  std::string error;
  Py_BEGIN_ALLOW_THREADS
  try {
    for (FIX::Message *message : messages) {
      if (FIX::Session::sendToTarget(*message, session_id)) {
        ++sent;
      }
    }
  } catch (FIX::SessionNotFound &) {
    not_found = true;
  } catch (std::exception &e) {
    error = e.what();
  }
  Py_END_ALLOW_THREADS
  Py_DECREF(seq);  /* the sequence kept the messages alive while the GIL was released */
  if (not_found) {
    raisePythonException<FIX::SessionNotFound>(FIX::SessionNotFound(), SWIGTYPE_p_FIX__SessionNotFound);
    return NULL;
  }
  if (!error.empty()) {
    PyErr_SetString(PyExc_RuntimeError, error.c_str());
    return NULL;
  }
  return PyLong_FromSsize_t(sent);
}

"""
SEND_ALL_BEFORE = "SWIGINTERN PyObject *_wrap_Session_sendToTarget(PyObject *self, PyObject *args) {\n"
METHOD_ENTRY = '\t { "Session_sendToTarget", _wrap_Session_sendToTarget, METH_VARARGS, NULL},\n'
METHOD_ADDED = '\t { "fixgw_send_all", _wrap_fixgw_send_all, METH_VARARGS, NULL},\n'


def keep_gil(text: str) -> str:
    lines = text.split("\n")
    inside = False
    for i, line in enumerate(lines):
        if WRAPPER.match(line):
            inside = bool(KEEP.match(line))
        if inside and line.strip() in MARKS:
            lines[i] = line.replace(line.strip(), MARKS[line.strip()])
    return "\n".join(lines)


def insert(text: str, anchor: str, added: str, *, before: bool = False) -> str:
    if text.count(anchor) != 1:
        raise SystemExit(f"anchor not found exactly once: {anchor!r}")
    return text.replace(anchor, added + anchor if before else anchor + added)


def main(sdist: Path) -> None:
    source = sdist / "C++" / "QuickfixPython.cpp"
    text = keep_gil(source.read_text())
    text = insert(text, TO_APP, TO_APP_GUARD)
    text = insert(text, SEND_ALL_BEFORE, SEND_ALL, before=True)
    text = insert(text, METHOD_ENTRY, METHOD_ADDED)
    source.write_text(text)
    header = sdist / "C++" / "QuickfixPython.h"
    text = insert(header.read_text(), "#include <map>\n", "#include <atomic>\n", before=True)
    header.write_text(insert(text, HEADER_CLASS, HEADER_MEMBER))
    print(f"edited {source} and {header}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
