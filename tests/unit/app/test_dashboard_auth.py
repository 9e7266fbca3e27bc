"""The dashboard's login and its locks: the admin token for a random HttpOnly SameSite=Strict cookie; without a live
login no page, no data and no control; controls forwarded as the CLI's, with who and a reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import AdminConfig, GatewayConfig
from app.dashboard.auth import SESSION_COOKIE, Logins, TokenFile
from app.dashboard.panels import Sources, Unavailable
from app.dashboard.server import create_app
from risk.limits import Instrument

TOKEN = "the-gateway-admin-token"


class RecordingSources(Sources):
    """Sources whose admin API records each call and answers it as the gateway would."""

    def __init__(self, config: GatewayConfig) -> None:
        super().__init__(config, who="dashboard:operator")
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        self.calls.append((method, path, body))
        return 200, {"result": f"{method} {path} done"}


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "admin.token"
    path.write_text(f"127.0.0.1:1\n{TOKEN}\n")
    return path


@pytest.fixture
def sources(tmp_path: Path, token_file: Path) -> RecordingSources:
    admin = AdminConfig(token_file=str(token_file))
    return RecordingSources(GatewayConfig(admin=admin, base_dir=tmp_path))


@pytest.fixture
def client(sources: RecordingSources) -> Iterator[TestClient]:
    app = create_app(sources, Logins(sources.token_file.read))
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _login(client: TestClient, token: str = TOKEN) -> Any:
    return client.post(
        "/login", content=f"token={token}", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )


def _kill(client: TestClient, **overrides: Any) -> Any:
    body = {"scope": "account", "key": "ACCT1", "on": True, "reason": "runaway algo"} | overrides
    return client.post("/api/kill", json=body)


def test_login_when_token_right_then_random_http_only_strict_cookie_that_is_not_the_token(client: TestClient) -> None:
    answer = _login(client)

    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    session = client.cookies[SESSION_COOKIE]
    assert TOKEN not in cookie and len(session) >= 40
    assert _login(client).status_code == 303 and client.cookies[SESSION_COOKIE] != session  # a new id each login


def test_login_when_token_wrong_then_401_the_form_again_and_no_cookie(client: TestClient) -> None:
    answer = _login(client, "guess")

    assert answer.status_code == 401 and "set-cookie" not in answer.headers
    assert 'id="login-error" class="error">' in answer.text
    assert client.get("/api/state").status_code == 401


@pytest.mark.parametrize("path", ["/", "/api/state", "/api/stream"])
def test_routes_when_no_login_then_nothing_shown(client: TestClient, path: str) -> None:
    answer = client.get(path)

    if path == "/":
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
    else:
        assert answer.status_code == 401 and answer.json() == {"error": answer.json()["error"]}
    assert "orders" not in answer.text


@pytest.mark.parametrize("cookie", [None, "forged-session-id", TOKEN])
def test_controls_when_no_live_login_then_401_and_nothing_sent(
    client: TestClient, sources: RecordingSources, cookie: str | None
) -> None:
    if cookie is not None:
        client.cookies.set(SESSION_COOKIE, cookie)

    killed = _kill(client)
    canceled = client.post("/api/orders/O1/cancel", json={"reason": "stuck"})

    assert (killed.status_code, canceled.status_code) == (401, 401)
    assert sources.calls == []


def test_kill_when_logged_in_then_sent_to_the_admin_api_as_the_dashboard_with_the_reason(
    client: TestClient, sources: RecordingSources
) -> None:
    _login(client)

    answer = _kill(client)

    assert answer.status_code == 200 and answer.json() == {"result": "POST /kill done"}
    body = {"scope": "account", "key": "ACCT1", "on": True, "reason": "runaway algo", "who": "dashboard:operator"}
    assert sources.calls == [("POST", "/kill", body)]


def test_cancel_when_logged_in_then_sent_to_the_admin_api_with_who_and_reason(
    client: TestClient, sources: RecordingSources
) -> None:
    _login(client)

    answer = client.post("/api/orders/O7/cancel", json={"reason": " stuck at the venue "})

    assert answer.status_code == 200
    assert sources.calls == [
        ("POST", "/orders/O7/cancel", {"who": "dashboard:operator", "reason": "stuck at the venue"})
    ]


@pytest.mark.parametrize(
    ("change", "status"),
    [({"reason": "  "}, 400), ({"scope": "everything"}, 400), ({"who": "someone else"}, 400), ({"on": "yes"}, 400)],
)
def test_kill_when_command_invalid_then_refused_and_nothing_sent(
    client: TestClient, sources: RecordingSources, change: dict[str, Any], status: int
) -> None:
    _login(client)

    answer = _kill(client, **change)

    assert answer.status_code == status and answer.json()["error"]
    assert sources.calls == []


def test_control_when_another_origin_sends_it_then_403_and_nothing_sent(
    client: TestClient, sources: RecordingSources
) -> None:
    _login(client)

    answer = client.post(
        "/api/kill",
        json={"scope": "global", "on": True, "reason": "x"},
        headers={"Origin": "http://evil.example"},
    )

    assert answer.status_code == 403 and sources.calls == []


def test_control_when_not_json_then_415_and_nothing_sent(client: TestClient, sources: RecordingSources) -> None:
    _login(client)

    answer = client.post("/api/kill", content="scope=global&on=true&reason=x")

    assert answer.status_code == 415 and sources.calls == []


def test_login_when_body_too_large_then_413(client: TestClient) -> None:
    assert _login(client, "x" * 10_000).status_code == 413


def test_logout_when_posted_then_the_cookie_opens_nothing(client: TestClient) -> None:
    _login(client)
    session = client.cookies[SESSION_COOKIE]

    assert client.post("/logout").status_code == 303
    client.cookies.set(SESSION_COOKIE, session)

    assert client.get("/api/state").status_code == 401


def test_login_when_gateway_restarts_with_a_new_token_then_logged_out(client: TestClient, token_file: Path) -> None:
    _login(client)
    assert client.get("/", follow_redirects=False).status_code == 200

    token_file.write_text("127.0.0.1:1\nanother-token\n")

    assert client.get("/").status_code == 303
    assert client.get("/api/state").status_code == 401


def test_pages_when_served_then_only_their_own_scripts_may_run(client: TestClient) -> None:
    headers = client.get("/login").headers

    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"


def test_logins_when_expired_then_not_valid() -> None:
    now = [0.0]
    logins = Logins(lambda: TOKEN, ttl_s=60, clock=lambda: now[0])
    session = logins.login(TOKEN)

    assert logins.valid(session)
    now[0] = 60.0
    assert not logins.valid(session)


def test_logins_when_no_token_file_then_nobody_logs_in(tmp_path: Path) -> None:
    logins = Logins(TokenFile(tmp_path / "missing.token").read)

    assert logins.login("") is None and logins.login(TOKEN) is None and not logins.valid(None)


class DownSources(Sources):
    """Sources of a gateway that is not running: every admin API call goes unanswered."""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        raise Unavailable("cannot reach the gateway's admin API at http://127.0.0.1:9880: connection refused")


def test_state_when_no_gateway_answers_then_each_panel_says_why(tmp_path: Path, token_file: Path) -> None:
    admin = AdminConfig(token_file=str(token_file))
    config = GatewayConfig(admin=admin, instruments={"MSFT": Instrument()}, base_dir=tmp_path)
    sources = DownSources(config, who="d:o")
    with TestClient(create_app(sources, Logins(sources.token_file.read)), follow_redirects=False) as client:
        _login(client)

        state = client.get("/api/state").json()

    assert state["config"]["who"] == "d:o"
    assert "cannot reach the gateway's admin API" in state["sessions"]["error"]
    assert "cannot reach the database" in state["orders"]["error"]  # no book yet: the gateway never ran
    assert all("error" in state[panel] for panel in ("health", "risk", "books", "latency", "fills", "positions"))


@pytest.mark.parametrize("path", ["/static/index.html", "/static/login.html", "/static/../pages/index.html"])
def test_page_when_asked_for_as_a_static_file_then_not_there(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404
