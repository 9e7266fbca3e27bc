"""The quickfix ``Application`` adapter: the one place where FIX callbacks meet our code.

Theory of operation: the SWIG binding turns four quickfix exception types raised from ``fromApp`` into
FIX rejects and calls ``Py_Exit(1)`` for anything else, killing the engine. So every callback here catches
everything. Our ``FixReject`` errors are answered with a Reject (35=3) that we build ourselves, because
quickfix's own reject carries only a generic Text(58) and we want it to say what was wrong. An unsupported
message type is left to quickfix (it raises ``quickfix.UnsupportedMessageType``), whose BusinessMessageReject
(35=j 380=3) is the standard one, with DefaultApplVerID (1137) on FIXT. An unexpected error is logged with its
traceback and answered with 35=j 380=4 (Application not available); the session stays up.

Batches: our patched binding hands us the application messages of one socket read in one call (patches/README.md,
11), after the engine has validated and counted them all: its 35=j 380=3 for an unsupported type is ours to send.

Logons: our patched quickfix gives a Logon to ``fromAdmin`` before it acts on it (patches/README.md). There the
``Authenticator`` checks Username (553) / Password (554); ``quickfix.RejectLogon`` is the only exception that
ever leaves ``fromAdmin``, and quickfix then drops the connection without changing any stored state.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

import _quickfix  # the binding's own module: fixgw_send_all is ours (patches/README.md, 9)
import quickfix

from domain.audit import audit_id
from domain.ids import SessionKey
from fixgw.codec import outbound
from fixgw.codec.fields import QfFields, Recorder
from fixgw.errors import ApplicationNotAvailable, FixReject, UnsupportedMessageType
from fixgw.session.auth import Authenticator
from fixgw.session.stats import SessionStats
from fixgw.session.threadstate import pin

log = logging.getLogger("fixgw.session")

_SESSION_REJECT_INVALID_MSGTYPE = 11
_BUSINESS_REJECT_UNSUPPORTED_MESSAGE_TYPE = 3
_BUSINESS_REJECT_APPLICATION_NOT_AVAILABLE = 4


class SessionHandler(Protocol):
    """What a FIX application does with its sessions' application messages."""

    def on_logon(self, session: SessionKey) -> None:
        """React to a session logging on."""

    def on_logout(self, session: SessionKey) -> None:
        """React to a session logging out or dropping."""

    def on_message(self, session: SessionKey, msg_type: str, fields: QfFields) -> None:
        """Handle one application message; raise ``FixReject`` to reject it."""


class FixApplication(quickfix.Application):  # type: ignore[misc]
    """Adapt quickfix callbacks to a ``SessionHandler``; send messages by session key."""

    fixgw_to_app = False
    """Our patched binding skips ``toApp`` for outgoing application messages (patches/README.md, 9): we change
    nothing there, and the upcall made every send wait for the GIL inside the engine."""

    fixgw_batch_from_app = True
    """Our patched binding hands us the application messages of one socket read in one call,
    ``fixgw_from_app_batch``, with one acquisition of the GIL instead of one ``fromApp`` upcall each (patches/README.md,
    11). The engine has then already counted them (their MsgSeqNum): rejects we raise are sent by us."""

    def __init__(
        self,
        handler: SessionHandler,
        name: str,
        *,
        observe_admin: bool = False,
        record: Recorder | None = None,
        unit_of_work: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        """``record``: where received application messages are recorded once processed (the journal's
        ``record_inbound``); ``unit_of_work``: what the processing and recording of one received message is wrapped
        in (the bus's ``entered``: its lock and the journal's ``atomic``), so that what one message changes commits
        in one transaction and the writer never commits half a message's work."""
        super().__init__()
        self.handler = handler
        self.name = name
        self._observe_admin = observe_admin
        self._record = record
        self._unit_of_work = unit_of_work
        self._sessions: dict[SessionKey, quickfix.SessionID] = {}
        self._stats: dict[SessionKey, SessionStats] = {}
        self._logged_on: set[SessionKey] = set()
        self._changed = threading.Condition()
        self.authenticator: Authenticator | None = None
        """Checks the Logons of sessions with credentials: the session layer's own (set by its ``Connector``, which
        reads them with the sessions)."""
        self.logon_fields: dict[SessionKey, list[tuple[int, str]]] = {}
        """Fields our own Logon carries on a session, e.g. Username (553) / Password (554) to a venue."""

    # -- quickfix callbacks: camelCase as the binding requires, delegating at once -----------------

    def onCreate(self, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        self._guard(self._on_create, sessionID)

    def onLogon(self, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        self._guard(self._on_logon, sessionID)

    def onLogout(self, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        self._guard(self._on_logout, sessionID)

    def toAdmin(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        pin()
        self._count_admin(sessionID, out=True, heartbeat=False)
        try:
            self._to_admin(message=message, session_id=sessionID)
        except BaseException:
            log.exception("%s: failed to prepare an admin message for %s", self.name, sessionID.toString())

    def fromAdmin(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        pin()
        self._count_admin(sessionID, out=False, heartbeat=message.getHeader().getField(35) == "0")
        refusal = self._guarded_logon_check(message=message, session_id=sessionID)
        if refusal is not None:
            raise quickfix.RejectLogon(refusal)
        if self._observe_admin:  # tools and tests that want to see Reject (35=3), Logout (35=5) ...
            try:
                fields = QfFields(message)
                self.handler.on_message(SessionKey(sessionID.toString()), fields.header(35) or "", fields)
            except BaseException:
                log.exception("%s: admin observer failed", self.name)

    def toApp(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        pass

    def fromApp(self, message: quickfix.Message, sessionID: quickfix.SessionID) -> None:  # noqa: N802, N803
        pin()
        try:
            unsupported = self._from_app(message=message, session_id=sessionID)
        except BaseException:
            log.exception("%s: failed to handle message from %s", self.name, sessionID.toString())
            return
        if unsupported:
            raise quickfix.UnsupportedMessageType()

    def fixgw_from_app_batch(self, batch: list[tuple[quickfix.Message, quickfix.SessionID]]) -> None:
        """The application messages of one socket read, in order (patches/README.md, 11): as ``fromApp`` each, except
        that the engine can no longer answer an unsupported type for us, so we send its BusinessMessageReject."""
        pin()
        for message, session_id in batch:
            try:
                if self._from_app(message=message, session_id=session_id):
                    self._reply(session_id, _unsupported(message, session_id))
            except BaseException:
                log.exception("%s: failed to handle message from %s", self.name, session_id.toString())

    # -- our side --------------------------------------------------------------------------------

    def _guard(self, callback: Callable[[quickfix.SessionID], None], session_id: quickfix.SessionID) -> None:
        try:
            callback(session_id)
        except BaseException:
            log.exception("%s: %s failed for %s", self.name, callback.__name__, session_id.toString())

    def _on_create(self, session_id: quickfix.SessionID) -> None:
        key = SessionKey(session_id.toString())
        self._sessions[key] = session_id
        self._stats[key] = SessionStats()

    def _count_admin(self, session_id: quickfix.SessionID, *, out: bool, heartbeat: bool) -> None:
        try:
            stats = self._stats.get(SessionKey(session_id.toString()))
            if stats is None:
                return
            if out:
                stats.messages_out += 1
            else:
                stats.messages_in += 1
                if heartbeat:
                    stats.last_heartbeat_ns = time.time_ns()
        except BaseException:  # counting must never disturb the session
            log.exception("%s: failed to count an admin message", self.name)

    def _on_logon(self, session_id: quickfix.SessionID) -> None:
        key = SessionKey(session_id.toString())
        log.info("%s: %s logged on", self.name, key)
        if (stats := self._stats.get(key)) is not None:
            stats.logged_on_since_ns = time.time_ns()
        with self._changed:
            self._logged_on.add(key)
            self._changed.notify_all()
        self.handler.on_logon(key)

    def _on_logout(self, session_id: quickfix.SessionID) -> None:
        key = SessionKey(session_id.toString())
        log.info("%s: %s logged out", self.name, key)
        if (stats := self._stats.get(key)) is not None:
            stats.logged_out_at_ns = time.time_ns()
        with self._changed:
            self._logged_on.discard(key)
            self._changed.notify_all()
        self.handler.on_logout(key)

    def _to_admin(self, *, message: quickfix.Message, session_id: quickfix.SessionID) -> None:
        extra = self.logon_fields.get(SessionKey(session_id.toString()))
        if extra and message.getHeader().getField(35) == "A":
            for tag, value in extra:
                message.setField(tag, value)

    def _guarded_logon_check(self, *, message: quickfix.Message, session_id: quickfix.SessionID) -> str | None:
        """Return why a Logon is refused, or None; an error while checking refuses it (fail closed)."""
        try:
            return self._logon_refusal(message=message, session_id=session_id)
        except BaseException:
            log.exception("%s: Logon check failed for %s; refusing the Logon", self.name, session_id.toString())
            return "Logon could not be checked"

    def _logon_refusal(self, *, message: quickfix.Message, session_id: quickfix.SessionID) -> str | None:
        if self.authenticator is None:
            return None
        fields = QfFields(message)
        if fields.header(35) != "A":
            return None
        key = SessionKey(session_id.toString())
        if not self.authenticator.requires_credentials(key):
            return None
        refusal = self.authenticator.check_logon(key, fields.get(553), fields.get(554))
        if refusal is not None:
            # Never the password itself: only who tried and why it failed.
            log.warning("%s: Logon refused for %s: %s", self.name, key, refusal)
        return refusal

    def _from_app(self, *, message: quickfix.Message, session_id: quickfix.SessionID) -> bool:
        """Hand the message to the handler; True when its type is unsupported (quickfix answers 35=j 380=3)."""
        fields = QfFields(message)
        msg_type = fields.msg_type()
        key = SessionKey(session_id.toString())
        received_ns = time.time_ns()
        if (stats := self._stats.get(key)) is not None:
            stats.messages_in += 1
        with self._unit_of_work():
            try:
                return self._handle(key, msg_type, fields, session_id)
            finally:  # recorded after processing, rejected or not: see oms.store.journal
                if self._record is not None:
                    self._record(
                        key,
                        fields.seq_num(),
                        audit_id(msg_type, 4) or "",
                        audit_id(fields.get(11)),
                        fields.text(),
                        received_ns,
                    )

    def _handle(self, key: SessionKey, msg_type: str, fields: QfFields, session_id: quickfix.SessionID) -> bool:
        try:
            self.handler.on_message(key, msg_type, fields)
        except UnsupportedMessageType:
            return True
        except ApplicationNotAvailable as exc:
            self._reply(
                session_id,
                outbound.business_reject(
                    _seq_num(fields),
                    msg_type,
                    _BUSINESS_REJECT_APPLICATION_NOT_AVAILABLE,
                    exc.text,
                    audit_id(fields.get(11)),
                ),
            )
        except FixReject as exc:
            self._reply(
                session_id,
                outbound.session_reject(_seq_num(fields), msg_type, exc.tag, exc.session_reject_reason, exc.text),
            )
        except Exception:
            log.exception("%s: internal error on %s from %s", self.name, msg_type, key)
            self._reply(
                session_id,
                outbound.business_reject(
                    _seq_num(fields),
                    msg_type,
                    _BUSINESS_REJECT_APPLICATION_NOT_AVAILABLE,
                    "Internal error while processing the message; it was not applied",
                ),
            )
        return False

    def _reply(self, session_id: quickfix.SessionID, message: quickfix.Message) -> None:
        try:
            quickfix.Session.sendToTarget(message, session_id)
        except quickfix.SessionNotFound:
            log.warning("%s: cannot answer %s: session gone", self.name, session_id.toString())

    # -- sending and waiting -----------------------------------------------------------------------

    def send(self, session: SessionKey, message: quickfix.Message, *, require_logon: bool = True) -> bool:
        """Send ``message``; False when nothing was sent.

        With ``require_logon`` False a message for a session that is down is still stored with its sequence
        number, and the counterparty gets it by resend after its next logon.
        """
        if require_logon and session not in self._logged_on:
            return False
        try:
            sent = bool(quickfix.Session.sendToTarget(message, self._sessions[session]))
        except (quickfix.SessionNotFound, KeyError):
            return False
        if sent:
            self._stats[session].messages_out += 1
        return sent

    def send_all(self, session: SessionKey, messages: list[quickfix.Message]) -> int:
        """Send ``messages`` in order in one call into the engine (one release of the GIL); return how many went.

        As ``send`` with ``require_logon`` False: a session that is down stores them for resend after its logon.
        """
        session_id = self._sessions.get(session)
        if session_id is None or not messages:
            return 0
        try:
            sent = int(_quickfix.fixgw_send_all(messages, session_id))
        except quickfix.SessionNotFound:
            return 0
        self._stats[session].messages_out += sent
        return sent

    def is_logged_on(self, session: SessionKey) -> bool:
        """Return True when ``session`` is logged on."""
        return session in self._logged_on

    def stats(self) -> dict[SessionKey, dict[str, object]]:
        """Each session's state, sequence numbers and message counts (``SessionStats.snapshot``)."""
        return {
            key: self._stats[key].snapshot(session_id, key in self._logged_on)
            for key, session_id in list(self._sessions.items())
        }

    def session_ids(self) -> dict[SessionKey, quickfix.SessionID]:
        """Every session quickfix created for this application, with its quickfix id."""
        return dict(self._sessions)

    @property
    def sessions(self) -> list[SessionKey]:
        """Every session quickfix created for this application."""
        return list(self._sessions)

    def wait_for_logon(self, sessions: list[SessionKey] | None = None, timeout: float = 10.0) -> bool:
        """Block until every session in ``sessions`` (default: all) is logged on; False on timeout."""
        wanted = set(sessions if sessions is not None else self._sessions)
        with self._changed:
            return self._changed.wait_for(lambda: wanted <= self._logged_on, timeout)

    def logout_all(self, timeout: float = 5.0, reason: str = "") -> bool:
        """Ask every logged-on session to log out; wait until all have; False on timeout."""
        for key in list(self._logged_on):
            session = quickfix.Session.lookupSession(self._sessions[key])
            if session is not None:
                session.logout(reason)
        with self._changed:
            return self._changed.wait_for(lambda: not self._logged_on, timeout)

    def relogon(self, session: SessionKey, reason: str = "logging on again", timeout: float = 5.0) -> bool:
        """Log ``session`` out, wait for it, then enable it again (an initiator reconnects by itself); False when the
        logout did not happen within ``timeout``."""
        engine_session = quickfix.Session.lookupSession(self._sessions[session])
        if engine_session is None:
            return False
        engine_session.logout(reason)  # quickfix's logout also disables the session: logon() enables it again
        done = self.wait_for_logout(session, timeout)
        engine_session.logon()
        return done

    def wait_for_logout(self, session: SessionKey, timeout: float = 10.0) -> bool:
        """Block until ``session`` is logged out; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: session not in self._logged_on, timeout)


def _unsupported(message: quickfix.Message, session_id: quickfix.SessionID) -> quickfix.Message:
    """The BusinessMessageReject (35=j 380=3) quickfix sends for ``UnsupportedMessageType`` raised in ``fromApp``
    (``Session::generateBusinessReject``): same fields, same text; for a MsgType that is not printable ASCII, its
    Reject 373=11 without RefMsgType (372), as our patched engine does (patches/README.md, 10)."""
    fields = QfFields(message)
    msg_type = fields.msg_type()
    if not msg_type or not all("!" <= c <= "~" for c in msg_type):
        return outbound.session_reject(_seq_num(fields), None, None, _SESSION_REJECT_INVALID_MSGTYPE, "Invalid MsgType")
    reject = outbound.business_reject(
        _seq_num(fields), msg_type, _BUSINESS_REJECT_UNSUPPORTED_MESSAGE_TYPE, "Unsupported Message Type"
    )
    if session_id.isFIXT() and (session := quickfix.Session.lookupSession(session_id)) is not None:
        reject.setField(1137, session.getSenderDefaultApplVerID())
    return reject


def _seq_num(fields: QfFields) -> int:
    raw = fields.header(34)
    return int(raw) if raw and raw.isdigit() else 0
