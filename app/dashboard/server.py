"""The dashboard's web app: the login, the page, its live feed, and the operator's controls.

Every route but the login and the static files (code, no data) needs a live login (``app.dashboard.auth``): the page
redirects to the login, the API and the feed answer 401. A control is a POST of JSON from the page's own origin
(SameSite=Strict keeps the cookie off other sites' requests; the Origin check and the JSON content type are a second
lock), with a reason; it goes to the same admin endpoint the CLI uses, as ``dashboard:<os user>``, so it is audited
as the CLI's are.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.dashboard.auth import SESSION_COOKIE, SESSION_TTL_S, Logins
from app.dashboard.feed import INTERVAL_S, Feed
from app.dashboard.panels import Panels, Sources, Unavailable

STATIC: Final = Path(__file__).resolve().parent / "static"
"""The page's code and style, served to anyone: no data in them."""
PAGES: Final = Path(__file__).resolve().parent / "pages"
"""The login form, and the page itself, served only to a live login."""
MAX_BODY: Final = 4096
"""The largest login or control request read (a token, a reason): anything bigger is refused unread."""
SECURITY_HEADERS: Final = {
    # Only this origin's own files run: no inline script or style, no framing, no form posting elsewhere.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # (no-referrer would send a form post's Origin as "null")
    "Cache-Control": "no-store",
}


_Command = TypeVar("_Command", bound=BaseModel)


class KillRequest(BaseModel):
    """Turn a kill switch on or off, as ``fixgw kill on|off [--account A | --session C] --reason R``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    scope: Literal["global", "account", "session"]
    key: str | None = Field(default=None, max_length=128)
    on: bool
    reason: str = Field(max_length=500)

    _said = field_validator("reason")(lambda reason: _reason(reason))


class CancelRequest(BaseModel):
    """Cancel one working order, as ``fixgw cancel ORDER_ID``, with a reason."""

    model_config = ConfigDict(extra="forbid", strict=True)
    reason: str = Field(max_length=500)
    _said = field_validator("reason")(lambda reason: _reason(reason))


def _reason(reason: str) -> str:
    if not reason.strip():
        raise ValueError("say why: the reason is kept in the audit trail")
    return reason.strip()


def create_app(sources: Sources, logins: Logins, interval_s: float = INTERVAL_S) -> FastAPI:
    """The web app over ``sources``, behind ``logins``."""
    feed = Feed(Panels(sources), interval_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        sources.close()

    app = FastAPI(title="fixgw dashboard", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def refused(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    def session_of(request: Request) -> str:
        session = request.cookies.get(SESSION_COOKIE)
        if not logins.valid(session):
            raise HTTPException(401, "log in first: the dashboard needs the gateway's admin token")
        assert session is not None
        return session

    @app.get("/login")
    def login_page() -> HTMLResponse:
        return HTMLResponse(_login_html(error=False))

    @app.post("/login")
    async def login(request: Request) -> Response:
        _same_origin(request)
        form = urllib.parse.parse_qs((await _body(request)).decode(errors="replace"))
        session = logins.login(form.get("token", [""])[0])
        if session is None:
            return HTMLResponse(_login_html(error=True), status_code=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_TTL_S, path="/", httponly=True, samesite="strict")
        return response

    @app.post("/logout")
    def logout(request: Request) -> Response:
        _same_origin(request)
        logins.logout(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response

    @app.get("/")
    def page(request: Request) -> Response:
        if not logins.valid(request.cookies.get(SESSION_COOKIE)):
            return RedirectResponse("/login", status_code=303)
        return FileResponse(PAGES / "index.html", media_type="text/html")

    @app.get("/api/state")
    async def state(request: Request) -> Response:
        session_of(request)
        return Response(await feed.snapshot(), media_type="application/json")

    @app.get("/api/stream")
    def stream(request: Request) -> StreamingResponse:
        session = session_of(request)

        async def while_logged_in() -> AsyncIterator[str]:
            async with aclosing(feed.events()) as events:
                async for event in events:
                    if not logins.valid(session):  # logged out, expired, or the gateway's token changed
                        return
                    yield event

        return StreamingResponse(while_logged_in(), media_type="text/event-stream")

    @app.post("/api/kill")
    async def kill(request: Request) -> JSONResponse:
        session_of(request)
        command = await _command(request, KillRequest)
        body = command.model_dump() | {"key": command.key or None, "who": sources.who}
        return await _forward(sources, "/kill", body)

    @app.post("/api/orders/{order_id}/cancel")
    async def cancel(request: Request, order_id: str) -> JSONResponse:
        session_of(request)
        command = await _command(request, CancelRequest)
        path = f"/orders/{urllib.parse.quote(order_id, safe='')}/cancel"
        return await _forward(sources, path, {"who": sources.who, "reason": command.reason})

    return app


class SecurityHeaders:
    """Add ``SECURITY_HEADERS`` to every response (a plain ASGI middleware: the event stream passes unbuffered)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, with the headers added to the response's start."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self._app(scope, receive, send_with_headers)


def _login_html(*, error: bool) -> str:
    html = (PAGES / "login.html").read_text()
    return (
        html.replace('<p id="login-error" class="error" hidden>', '<p id="login-error" class="error">')
        if error
        else html
    )


def _same_origin(request: Request) -> None:
    """Refuse a state-changing request another site's page made (a browser says where it came from)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
        raise HTTPException(403, f"cross-origin request refused (from {origin})")
    if request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
        raise HTTPException(403, "cross-site request refused")


async def _body(request: Request) -> bytes:
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise HTTPException(413, f"request body over {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(413, f"request body over {MAX_BODY} bytes")
    return body


async def _command(request: Request, model: type[_Command]) -> _Command:
    _same_origin(request)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(415, "send the command as JSON (Content-Type: application/json)")
    try:
        return model.model_validate(json.loads(await _body(request)))
    except (ValueError, ValidationError) as exc:
        raise HTTPException(400, _first_error(exc)) from None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}"
    return f"not JSON: {exc}"


async def _forward(sources: Sources, path: str, body: dict[str, Any]) -> JSONResponse:
    try:
        status, answer = await asyncio.to_thread(sources.call, "POST", path, body)
    except Unavailable as exc:
        return JSONResponse({"error": str(exc)}, status_code=502)
    return JSONResponse(answer, status_code=status)
