"""The admin API's guard rails over real sockets: body size, malformed requests, connections at once, slow clients."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import admin_http
from app.admin import AdminClient, AdminServer

pytestmark = pytest.mark.integration


def _echo(params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, {"echo": params}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[AdminServer, Path]]:
    token = tmp_path / "admin.token"
    running = AdminServer("127.0.0.1:0", token, {("POST", "/echo"): _echo, ("GET", "/echo"): _echo})
    running.start()
    yield running, token
    running.stop()


def _token(path: Path) -> str:
    return path.read_text().split()[1]


def _connect(server: AdminServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _head(token: str, headers: dict[str, str], path: str = "/echo") -> bytes:
    lines = [f"POST {path} HTTP/1.0", f"Authorization: Bearer {token}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    """Read the whole answer (the server closes after it)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def _request(server: AdminServer, token: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
    with _connect(server) as sock:
        sock.sendall(_head(token, headers) + body)
        return _answer(sock)


def test_admin_when_50_mb_posted_then_413_at_once_and_still_serving(server: tuple[AdminServer, Path]) -> None:
    admin, token_path = server
    token = _token(token_path)
    size = 50 * 1024 * 1024
    sent = [0]

    def send_body(sock: socket.socket) -> None:
        chunk = b"x" * 65536
        try:
            while sent[0] < size:
                sent[0] += sock.send(chunk)
        except OSError:  # the server stops listening once it has answered: expected
            pass

    with _connect(admin) as sock:
        sock.sendall(_head(token, {"Content-Length": str(size), "Content-Type": "application/json"}))
        sender = threading.Thread(target=send_body, args=(sock,))
        started = time.monotonic()
        sender.start()
        status, answer = _answer(sock)
        elapsed = time.monotonic() - started
        sender.join()

    assert status == 413 and "over the admin API's limit of 65536 bytes" in answer["error"]
    assert elapsed < 5 and sent[0] < size  # answered before the client could send it all
    assert AdminClient(token_path).call("POST", "/echo", {"n": 1}) == (200, {"echo": {"n": 1}})


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b'{"depth": ', 400, "request body is not valid JSON: Expecting value: line 1 column 11"),
        (b"[1, 2]", 400, "request body must be a JSON object, not an array"),
        (b'"text"', 400, "request body must be a JSON object, not a string"),
        (b'{"a": "\xc3\x28"}', 400, "request body is not UTF-8 text"),
    ],
)
def test_admin_when_body_not_json_object_then_400_naming_it(
    server: tuple[AdminServer, Path], body: bytes, status: int, error: str
) -> None:
    admin, token_path = server

    answer = _request(admin, _token(token_path), {"Content-Length": str(len(body))}, body)

    assert answer[0] == status and answer[1]["error"].startswith(error)


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({"Content-Length": "ten"}, 400, "bad Content-Length 'ten'"),
        ({"Content-Length": "-5"}, 400, "bad Content-Length '-5'"),
        ({"Content-Length": "10"}, 400, "request body ended after 2 of 10 bytes"),
        ({"Transfer-Encoding": "chunked"}, 411, "chunked request bodies are not accepted"),
    ],
)
def test_admin_when_length_bad_then_4xx_naming_it(
    server: tuple[AdminServer, Path], headers: dict[str, str], status: int, error: str
) -> None:
    admin, token_path = server

    with _connect(admin) as sock:
        sock.sendall(_head(_token(token_path), headers) + b"{}")
        sock.shutdown(socket.SHUT_WR)  # the body ends here, whatever the length said
        answer = _answer(sock)

    assert answer[0] == status and answer[1]["error"].startswith(error)


def test_admin_when_connections_beyond_limit_then_503_at_once_then_serves_again(
    server: tuple[AdminServer, Path],
) -> None:
    admin, token_path = server
    held = [_connect(admin) for _ in range(admin_http.MAX_CONNECTIONS)]  # each holds a worker: no request yet
    try:
        with _connect(admin) as extra:
            started = time.monotonic()
            status, answer = _answer(extra)
            elapsed = time.monotonic() - started
    finally:
        for sock in held:
            sock.close()

    assert status == 503 and "serving 16 connections already" in answer["error"] and elapsed < 2
    deadline = time.monotonic() + 10
    while (result := AdminClient(token_path).call("POST", "/echo", {"n": 2}))[0] == 503:  # workers see the closes
        assert time.monotonic() < deadline
    assert result == (200, {"echo": {"n": 2}})


def test_admin_when_client_trickles_request_then_cut_off_at_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_http, "REQUEST_DEADLINE_S", 0.5)  # each read may still take 10 s: only the deadline cuts
    token_path = tmp_path / "admin.token"
    admin = AdminServer("127.0.0.1:0", token_path, {("POST", "/echo"): _echo})
    admin.start()
    try:
        with _connect(admin) as sock:
            started = time.monotonic()
            sock.sendall(b"POST /echo HTTP/1.0\r\n")
            with pytest.raises(OSError):  # a header byte every 0.1 s keeps every read short, not the request
                for _ in range(100):
                    sock.sendall(b"X")
                    time.sleep(0.1)  # the slow client under test
                    with contextlib.suppress(BlockingIOError):  # nothing to read: still open
                        if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                            raise ConnectionResetError("closed by the server")
            elapsed = time.monotonic() - started

        assert elapsed < 3
        assert AdminClient(token_path).call("POST", "/echo", {})[0] == 200
    finally:
        admin.stop()
