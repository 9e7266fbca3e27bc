"""Make the edits of patches/README.md hunks 8, 9 and 11 to quickfix's SWIG-generated binding.

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


# 11. An Application whose Python class says ``fixgw_batch_from_app = True`` gets the application messages of one socket
# read in one call, ``fixgw_from_app_batch([(Message, SessionID), ...])``, with one acquisition of the GIL: the
# messages are copied and kept on the reading thread until its FIX::ReadBatch ends (C++/ReadBatch.h).
FROM_APP = "void SwigDirector_Application::fromApp(FIX::Message const &arg0,FIX::SessionID const &arg1) {\n"
FROM_APP_GUARD = """  /* fixgw: an application that declares fixgw_batch_from_app = True gets this read's messages in one call
     (patches/README.md, 11) */
  if (fixgw_batch_from_app.load(std::memory_order_relaxed) < 0) {
    SWIG_PYTHON_THREAD_BEGIN_BLOCK;
    int batch = 0;
    PyObject *flag = swig_get_self() ? PyObject_GetAttrString(swig_get_self(), "fixgw_batch_from_app") : NULL;
    if (flag) {
      batch = PyObject_IsTrue(flag) == 1;
      Py_DECREF(flag);
    } else {
      PyErr_Clear();
    }
    fixgw_batch_from_app.store(batch, std::memory_order_relaxed);
    SWIG_PYTHON_THREAD_END_BLOCK;
  }
  if (fixgw_batch_from_app.load(std::memory_order_relaxed) == 1) {
    if (fixgw_deferred.empty() && FIX::ReadBatch::handNow()) {
      fixgw_hand_from_app(this, arg0, arg1);  /* the read's only message: now, without a copy */
    } else {
      fixgw_defer_from_app(this, arg0, arg1);
    }
    return;
  }
"""  # noqa: E501 - the C++ text is what the patch holds
BATCH = """
/* fixgw (patches/README.md, 11): the application messages of one socket read, kept (copied) on the reading thread
   until its FIX::ReadBatch ends, then handed to each application's fixgw_from_app_batch(list of (Message,
   SessionID)) with one acquisition of the GIL. A read's only message (and one outside a read loop) is handed over
   at once, alone and not copied, as fromApp is: valid during the call only. */
namespace {
void fixgw_call_batch(SwigDirector_Application *app, PyObject *batch) {
  PyObject *self = app->swig_get_self();
  PyObject *result = (self && batch) ? PyObject_CallMethod(self, "fixgw_from_app_batch", "O", batch) : NULL;
  if (!result) {
    /* Not Py_Exit as a failed fromApp does: the application's method answers its own errors (rejects included);
       whatever escapes it is printed and the engine carries on. */
    PyErr_Print();
  }
  Py_XDECREF(result);
  Py_XDECREF(batch);
}

void fixgw_hand_from_app(SwigDirector_Application *app, const FIX::Message &message, const FIX::SessionID &session) {
  SWIG_PYTHON_THREAD_BEGIN_BLOCK;
  PyObject *wrapped = SWIG_NewPointerObj(SWIG_as_voidptr(&message), SWIGTYPE_p_FIX__Message, 0);
  PyObject *id = SWIG_NewPointerObj(SWIG_as_voidptr(&session), SWIGTYPE_p_FIX__SessionID, 0);
  PyObject *pair = (wrapped && id) ? PyTuple_Pack(2, wrapped, id) : NULL;
  Py_XDECREF(wrapped);
  Py_XDECREF(id);
  PyObject *batch = pair ? PyList_New(1) : NULL;
  if (batch) {
    PyList_SET_ITEM(batch, 0, pair);  /* steals the reference */
  } else {
    Py_XDECREF(pair);
  }
  fixgw_call_batch(app, batch);
  SWIG_PYTHON_THREAD_END_BLOCK;
}

struct FixgwDeferred {
  SwigDirector_Application *app;
  std::unique_ptr<FIX::Message> message;
  FIX::SessionID session;
};
thread_local std::vector<FixgwDeferred> fixgw_deferred;

void fixgw_flush_from_app(void *) {
  std::vector<FixgwDeferred> items;
  items.swap(fixgw_deferred);
  if (items.empty()) {
    return;
  }
  SWIG_PYTHON_THREAD_BEGIN_BLOCK;
  size_t i = 0;
  while (i < items.size()) {
    SwigDirector_Application *app = items[i].app;
    PyObject *batch = PyList_New(0);
    PyObject *session = NULL;
    const FIX::SessionID *last = NULL;
    size_t j = i;
    for (; j < items.size() && items[j].app == app; ++j) {
      if (!last || !(*last == items[j].session)) {
        Py_XDECREF(session);
        session = SWIG_NewPointerObj(new FIX::SessionID(items[j].session), SWIGTYPE_p_FIX__SessionID, SWIG_POINTER_OWN);
        last = &items[j].session;
      }
      PyObject *message = SWIG_NewPointerObj(items[j].message.release(), SWIGTYPE_p_FIX__Message, SWIG_POINTER_OWN);
      PyObject *pair = (batch && message && session) ? PyTuple_Pack(2, message, session) : NULL;
      Py_XDECREF(message);
      if (!pair || PyList_Append(batch, pair) < 0) {
        PyErr_Print();  /* out of memory: this message is lost, as the process soon will be */
      }
      Py_XDECREF(pair);
    }
    Py_XDECREF(session);
    fixgw_call_batch(app, batch);
    i = j;
  }
  SWIG_PYTHON_THREAD_END_BLOCK;
}

void fixgw_defer_from_app(SwigDirector_Application *app, const FIX::Message &message, const FIX::SessionID &session) {
  fixgw_deferred.push_back(FixgwDeferred{app, std::unique_ptr<FIX::Message>(new FIX::Message(message)), session});
  if (fixgw_deferred.size() == 1 && !FIX::ReadBatch::defer(&fixgw_flush_from_app, NULL)) {
    fixgw_flush_from_app(NULL);  /* not reached: handNow() holds outside a batch */
  }
}
}  // namespace

"""
HEADER_BATCH_MEMBER = (
    "    std::atomic<int> fixgw_batch_from_app{-1}; /* fixgw: -1 not asked yet, 0 fromApp per message, 1 batches */\n"
)
HEADER_INCLUDE = '#include "ReadBatch.h"\n'


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


def batch_from_app(text: str) -> str:
    """Hunk 11 in QuickfixPython.cpp: the deferral before the director's fromApp, the flag check at its start."""
    text = insert(text, FROM_APP, BATCH, before=True)
    return insert(text, FROM_APP, FROM_APP_GUARD)


def batch_from_app_header(text: str) -> str:
    """Hunk 11 in QuickfixPython.h: FIX::ReadBatch and the director's cached flag."""
    text = insert(text, "#include <map>\n", HEADER_INCLUDE, before=True)
    return insert(text, HEADER_CLASS, HEADER_BATCH_MEMBER)


def main(sdist: Path) -> None:
    source = sdist / "C++" / "QuickfixPython.cpp"
    text = keep_gil(source.read_text())
    text = insert(text, TO_APP, TO_APP_GUARD)
    text = insert(text, SEND_ALL_BEFORE, SEND_ALL, before=True)
    text = insert(text, METHOD_ENTRY, METHOD_ADDED)
    source.write_text(batch_from_app(text))
    header = sdist / "C++" / "QuickfixPython.h"
    text = insert(header.read_text(), "#include <map>\n", "#include <atomic>\n", before=True)
    header.write_text(batch_from_app_header(insert(text, HEADER_CLASS, HEADER_MEMBER)))
    print(f"edited {source} and {header}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
