"""TLS for client sessions: quickfix's own SSLSocketAcceptor (OpenSSL), end to end with Python's TLS client."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import System, make_config
from tests.integration.rawfix import RawSession, encode, field, now
from tests.integration.secured import start_secured_system, stop_secured_system

pytestmark = pytest.mark.integration


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (the openssl command line ships with OpenSSL)."""
    openssl = shutil.which("openssl")
    assert openssl, "the openssl command is needed to make a test certificate"
    cert, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_system(tmp_path: Path) -> Iterator[tuple[System, ssl.SSLContext]]:
    cert, key = make_certificate(tmp_path)
    settings = {"SocketUseSSL": "Y", "ServerCertificateFile": str(cert), "ServerCertificateKeyFile": str(key)}
    system = start_secured_system(tmp_path, make_config(tmp_path), settings, start_client=False)
    context = ssl.create_default_context(cafile=str(cert))  # verifies the server's certificate and name
    yield system, context
    stop_secured_system(system)


def test_tls_client_when_certificate_verified_then_logs_on_and_trades(
    tls_system: tuple[System, ssl.SSLContext],
) -> None:
    system, context = tls_system
    client = RawSession(system.client_port, tls=context)
    assert isinstance(client.sock, ssl.SSLSocket)
    assert client.sock.version() in ("TLSv1.2", "TLSv1.3")

    client.logon()
    order = [(11, "TLS-1"), (55, "MSFT"), (54, "1"), (38, "10"), (40, "2"), (44, "100.05"), (60, now())]
    client.send(encode("D", 2, order))
    filled = client.wait_for(lambda m: m.get(35) == b"8" and m.get(39) == b"2", "the fill")

    assert (field(filled, 11), field(filled, 14)) == ("TLS-1", "10")
    client.close()


def test_plaintext_client_when_tls_required_then_never_logs_on(tls_system: tuple[System, ssl.SSLContext]) -> None:
    system, _ = tls_system
    plain = RawSession(system.client_port)

    plain.send(encode("A", 1, [(98, "0"), (108, "30"), (141, "Y")]))
    answer = plain.read_all_until_closed()
    plain.close()

    assert b"35=A" not in answer  # a TLS alert at most, never a FIX Logon
    assert not system.gateway.clients.app.is_logged_on(system.client.session)


def test_tls_client_when_certificate_not_trusted_then_handshake_fails(
    tls_system: tuple[System, ssl.SSLContext], tmp_path: Path
) -> None:
    system, _ = tls_system
    (tmp_path / "other").mkdir()
    other, _ = make_certificate(tmp_path / "other")
    context = ssl.create_default_context(cafile=str(other))

    with pytest.raises(ssl.SSLCertVerificationError):
        RawSession(system.client_port, tls=context)
