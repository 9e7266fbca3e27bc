"""The admin API: a small authenticated HTTP/JSON server inside the gateway, for the CLI and the dashboard.

Authentication: at start the gateway writes a fresh random token to ``admin.token_file`` (mode 0600) together
with the port it listens on; a request must carry ``Authorization: Bearer <token>``. Whoever can read that file
(the operator account on the gateway's machine) can operate the gateway; nobody else can. It listens on
loopback by default.

What one request may send, how many are served at once and for how long: ``app.admin_http``. A request that breaks
those rules or whose body is not a JSON object is answered 4xx with a message saying what was wrong.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from app.admin_http import IO_TIMEOUT_S, MAX_BODY_BYTES, BoundedHTTPServer, linger
from fixgw.errors import ConfigError

log = logging.getLogger("fixgw.admin")
Route = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]


class AdminServer:
    """Serve POST/GET routes to whoever presents the token."""

    def __init__(self, listen: str, token_path: Path, routes: dict[tuple[str, str], Route]) -> None:
        host, _, port = listen.rpartition(":")
        self._token = secrets.token_urlsafe(32)
        self._routes = routes
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = IO_TIMEOUT_S  # each read and write of the connection

            def do_GET(self) -> None:
                server._handle(self, "GET")

            def do_POST(self) -> None:
                server._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        try:
            self._http = BoundedHTTPServer((host or "127.0.0.1", int(port)), Handler)
        except OSError as exc:
            raise ConfigError(f"admin API cannot listen on {listen}: {exc.strerror}") from None
        self.port = self._http.server_address[1]
        _write_token(token_path, f"{host or '127.0.0.1'}:{self.port}", self._token)
        self._thread = threading.Thread(target=self._http.serve_forever, name="admin-api", daemon=True)

    def start(self) -> None:
        """Serve in the background."""
        self._http.watchdog.start()
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread.is_alive():
            self._http.shutdown()
        self._http.server_close()
        self._http.watchdog.stop()

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        try:
            body = _read_body(request)
        except BadRequest as bad:
            _reply(request, bad.status, {"error": str(bad)})
            request.close_connection = True
            linger(request.connection)  # the client may still be sending: let it read the answer first
            return
        finally:
            self._http.watchdog.release(request.connection)  # it arrived (or never will): its deadline is met
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), self._token.encode()):
            _reply(request, HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong admin token"})
            return
        route, params = self._match(method, request.path)
        if route is None:
            _reply(request, HTTPStatus.NOT_FOUND, {"error": f"no such endpoint: {method} {request.path}"})
            return
        try:
            arguments = params | _json_object(body)
        except BadRequest as bad:
            _reply(request, bad.status, {"error": str(bad)})
            return
        try:
            status, payload = route(arguments)
        except Exception as exc:  # one bad request must not stop the server
            log.exception("admin %s %s failed", method, request.path)
            status, payload = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)}
        _reply(request, status, payload)

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, Any]]:
        parts = [p for p in path.split("/") if p]
        for (route_method, pattern), route in self._routes.items():
            wanted = [p for p in pattern.split("/") if p]
            if route_method != method or len(wanted) != len(parts):
                continue
            params = {w[1:-1]: p for w, p in zip(wanted, parts, strict=True) if w.startswith("{")}
            if all(w.startswith("{") or w == p for w, p in zip(wanted, parts, strict=True)):
                return route, params
        return None, {}


class BadRequest(Exception):
    """A request the admin API will not serve: its HTTP status and what was wrong with it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _read_body(request: BaseHTTPRequestHandler) -> bytes:
    """The body, read whole: Content-Length bytes at most ``MAX_BODY_BYTES``."""
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        raise BadRequest(HTTPStatus.LENGTH_REQUIRED, "chunked request bodies are not accepted: send Content-Length")
    raw = request.headers.get("Content-Length")
    if raw is None:
        return b""
    if not (raw.strip().isascii() and raw.strip().isdigit()):
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"bad Content-Length {raw!r}: a whole number of bytes")
    length = int(raw)
    if length > MAX_BODY_BYTES:
        raise BadRequest(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"request body of {length} bytes is over the admin API's limit of {MAX_BODY_BYTES} bytes",
        )
    try:
        body = request.rfile.read(length)
    except TimeoutError:
        raise BadRequest(HTTPStatus.REQUEST_TIMEOUT, "the request body did not arrive in time") from None
    if len(body) < length:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"request body ended after {len(body)} of {length} bytes")
    return body


def _json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object (an empty body is ``{}``)."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except UnicodeDecodeError:
        raise BadRequest(HTTPStatus.BAD_REQUEST, "request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        kind = _JSON_KINDS.get(type(value), type(value).__name__)
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"request body must be a JSON object, not {kind}")
    return value


_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
_JSON_KINDS[type(None)] = "null"


def _reply(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, default=str).encode()
    try:
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
    except OSError:  # the client went away (or was cut off): nobody to answer
        request.close_connection = True


def _write_token(path: Path, address: str, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(f"{address}\n{token}\n")
    os.chmod(path, 0o600)


class AdminClient:
    """Call the running gateway's admin API, finding it through the token file."""

    def __init__(self, token_path: Path) -> None:
        try:
            address, token = token_path.read_text().split()
        except (OSError, ValueError):
            raise ConfigError(f"no running gateway found: cannot read {token_path} (is `fixgw run` running?)") from None
        self._base = f"http://{address}"
        self._token = token

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 10.0
    ) -> tuple[int, dict[str, Any]]:
        """Send one request; return (HTTP status, JSON answer)."""
        request = urllib.request.Request(
            self._base + path,
            method=method,
            data=json.dumps(body or {}).encode(),
            headers={"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
        except OSError as exc:
            raise ConfigError(f"cannot reach the gateway's admin API at {self._base}: {exc}") from None
