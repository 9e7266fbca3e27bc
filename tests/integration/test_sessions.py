"""``GET /sessions`` and ``fixgw sessions`` over a running gateway's real sessions."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from app.admin import AdminClient
from app.display import utc_time
from domain.enums import Side
from tests.integration.conftest import System, free_port
from tests.integration.test_cli import fixgw

pytestmark = pytest.mark.integration
KEYS = {
    "session",
    "role",
    "logged_on",
    "since_ns",
    "next_sender_seq",
    "next_target_seq",
    "messages_in",
    "messages_out",
    "last_heartbeat_ns",
}
CLIENT, VENUE, VENUE_MD = "FIX.4.4:FIXGW->CLIENT1", "FIX.4.4:FIXGW->VENUE", "FIX.4.4:FIXGW->VENUEMD"


def _settings(tmp_path: Path, token: Path) -> Path:
    """A settings file that points the CLI at ``token`` (everything else default)."""
    settings = tmp_path / "cli.toml"
    settings.write_text(f'[admin]\ntoken_file = "{token}"\n')
    return settings


def test_sessions_route_when_order_traded_then_every_session_with_role_state_and_counts(system: System) -> None:
    assert system.gateway.market.handler.app.wait_for_logon()
    system.client.send_order("SES-1", "MSFT", Side.BUY, Decimal(10), Decimal("100.05"))
    system.client.wait_for(lambda m: m.get(11) == "SES-1" and m.get(39) == "2")
    system.gateway.journal.flush()  # the fill's report has been handed to the session

    status, answer = AdminClient(system.gateway.config.admin_token_path()).call("GET", "/sessions")

    assert status == 200 and list(answer) == ["sessions"]
    rows = {r["session"]: r for r in answer["sessions"]}
    assert [r["session"] for r in answer["sessions"]] == [CLIENT, VENUE, VENUE_MD]  # clients, venues, market data
    roles = {r["session"]: r["role"] for r in rows.values()}
    assert roles == {CLIENT: "client", VENUE: "venue", VENUE_MD: "marketdata"}
    assert all(set(r) == KEYS and r["logged_on"] is True and isinstance(r["since_ns"], int) for r in rows.values())
    client = rows[CLIENT]
    assert client["messages_in"] >= 2 and client["messages_out"] >= 3  # Logon + 35=D in; Logon, 150=0, 150=F out
    assert client["next_target_seq"] == client["messages_in"] + 1  # everything it sent, counted and sequenced
    assert client["next_sender_seq"] == client["messages_out"] + 1
    assert all(isinstance(r[k], int) for r in rows.values() for k in ("next_sender_seq", "next_target_seq"))


def test_sessions_cli_when_gateway_running_then_table_with_utc_times_and_json_with_integers(
    system: System, tmp_path: Path
) -> None:
    system.client.stop()  # the client's session goes down: its "since" stays put between the two calls
    assert system.gateway.clients.app.wait_for_logout(next(iter(system.gateway.clients.app.sessions)))
    settings = str(_settings(tmp_path, system.gateway.config.admin_token_path()))

    as_json = fixgw("sessions", "--json", "-s", settings)
    table = fixgw("sessions", "-s", settings)

    assert as_json.returncode == 0 and table.returncode == 0, as_json.stderr + table.stderr
    rows = {r["session"]: r for r in json.loads(as_json.stdout)["sessions"]}
    client, venue = rows[CLIENT], rows[VENUE]
    assert client["logged_on"] is False and isinstance(client["since_ns"], int) and set(client) == KEYS
    line = next(line for line in table.stdout.splitlines() if CLIENT in line)
    assert "down" in line and utc_time(client["since_ns"]) in line
    assert f" {client['next_sender_seq']} " in line and f" {client['messages_in']} " in line
    venue_line = next(line for line in table.stdout.splitlines() if f"{VENUE} " in line)
    assert "logged on" in venue_line and utc_time(venue["since_ns"]) in venue_line
    assert "Since (UTC)" in table.stdout and str(client["since_ns"]) not in table.stdout  # no ns epochs for people


@pytest.mark.parametrize("stale", [False, True])
def test_sessions_cli_when_no_gateway_then_one_line_error_exit_2(tmp_path: Path, stale: bool) -> None:
    token = tmp_path / "admin.token"
    if stale:  # a gateway that died: its token file is still there, nobody listens
        token.write_text(f"127.0.0.1:{free_port()}\nsecret\n")

    result = fixgw("sessions", "-s", str(_settings(tmp_path, token)))

    assert result.returncode == 2 and result.stderr.startswith("fixgw: error:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert ("cannot reach the gateway's admin API" if stale else "no running gateway found") in result.stderr
