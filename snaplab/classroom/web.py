"""`snaplab class serve`'s web app: the live class page, a learner's page, JSON and SSE.

Read-only by construction: every route is a GET that reads the live state (feed.py); no
route reaches a daemon, a token or access.csv. The access token works as Jupyter's: the
URL printed at start carries `?token=`, which is swapped for a cookie (and a redirect to
the same page without it, so the token leaves the address bar); anything else gets 403.
The page draws itself from the same JSON `/api/class` gives, then keeps it current from
`/events`: the first message is the whole state, so a reconnect after any gap loses
nothing; later ones carry only the rows that changed.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from snaplab.classroom.feed import Feed, Message
from snaplab.classroom.labels import LABELS
from snaplab.i18n import LANGS

HERE = Path(__file__).parent
PING = 15.0  # seconds between SSE comments on a quiet stream: proxies and browsers keep it
Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Any]


def language(request: Request, fixed: str | None) -> str:
    """?lang= first, then `--lang`, then the browser's Accept-Language, English otherwise."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    if fixed in LANGS:
        return fixed
    ranked = []
    for i, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, i, tag.strip().lower()[:2]))
    for _w, _i, tag in sorted(ranked):
        if tag in LANGS:
            return tag
    return "en"


class TokenGate:
    """403 unless the request carries the token, in the query (then a cookie) or the cookie."""

    def __init__(self, app: ASGI, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        port = (scope.get("server") or ("", 0))[1]
        cookie = f"snaplab-live-{port}"
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.pop("token", [""]) or [""])[0]
        if given and secrets.compare_digest(given, self.token):
            rest = urlencode(query, doseq=True)
            target = scope["path"] + (f"?{rest}" if rest else "")
            response: Response = Response(status_code=303, headers={"location": target})
            response.set_cookie(cookie, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        jar = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                jar.load(value.decode("latin-1"))
        held = jar[cookie].value if cookie in jar else ""
        if held and secrets.compare_digest(held, self.token):
            await self.app(scope, receive, send)
            return
        await PlainTextResponse("403: open the URL `snaplab class serve` printed", 403)(
            scope, receive, send
        )


def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def app(feed: Feed, token: str, fixed_lang: str | None = None) -> ASGI:
    env = _templates()

    def page(template: str, request: Request, **extra: Any) -> HTMLResponse:
        lang = language(request, fixed_lang)
        config = {"lang": lang, "labels": LABELS[lang], **extra}
        html = env.get_template(template).render(
            t=LABELS[lang],
            lang=lang,
            other="en" if lang == "ko" else "ko",
            klass=feed.roster.name,
            lab=feed.lab.title.get(lang),
            config=json.dumps(config, ensure_ascii=False).replace("</", "<\\/"),
            **extra,
        )
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    async def class_page(request: Request) -> Response:
        return page("class.html.j2", request, mode="class", learner="", name="")

    async def learner_page(request: Request) -> Response:
        learner_id = request.path_params["id"]
        if learner_id not in feed.rows:
            return PlainTextResponse("404", 404)
        name = feed.rows[learner_id].name
        return page("learner.html.j2", request, mode="learner", learner=learner_id, name=name)

    async def api_class(request: Request) -> Response:
        return JSONResponse(feed.snapshot(language(request, fixed_lang)))

    async def api_learner(request: Request) -> Response:
        learner_id = request.path_params["id"]
        if learner_id not in feed.rows:
            return JSONResponse({"error": "no such learner"}, 404)
        return JSONResponse(feed.learner(learner_id, language(request, fixed_lang)))

    async def script(request: Request) -> Response:
        return FileResponse(HERE / "static" / "live.js", media_type="text/javascript")

    async def events(request: Request) -> Response:
        lang = language(request, fixed_lang)
        one = request.query_params.get("learner", "")
        if one and one not in feed.rows:
            return PlainTextResponse("404", 404)
        loop = asyncio.get_running_loop()
        box: asyncio.Queue[Message] = asyncio.Queue()

        def heard(message: Message) -> None:
            loop.call_soon_threadsafe(box.put_nowait, message)

        def whole() -> str:
            if one:
                return sse("learner", feed.learner(one, lang))
            return sse("state", feed.snapshot(lang))

        async def stream() -> AsyncIterator[str]:
            feed.subscribe(heard)
            try:
                yield whole()
                while True:
                    try:
                        first = await asyncio.wait_for(box.get(), PING)
                    except TimeoutError:
                        yield ": ping\n\n"
                        continue
                    batch = [first]
                    while not box.empty():
                        batch.append(box.get_nowait())
                    ids = dict.fromkeys(m["id"] for m in batch)
                    times = [m["event_t"] for m in batch if m.get("event_t")]
                    when = [m["heard_t"] for m in batch if m.get("event_t")]
                    graded = [m["graded_since"] for m in batch if m.get("graded_since")]
                    if one:
                        if one in ids:
                            yield sse("learner", feed.learner(one, lang))
                        continue
                    rows = [feed.row(i, lang) for i in ids]
                    funnel = feed.funnel()
                    yield sse(
                        "rows",
                        {
                            "rows": rows,
                            "funnel": funnel,
                            "event_t": times,  # events now shown
                            "heard_t": when,
                            "graded_since": graded,  # events now graded
                        },
                    )
            finally:
                feed.unsubscribe(heard)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    routes = [
        Route("/", class_page),
        Route("/learner/{id}", learner_page),
        Route("/api/class", api_class),
        Route("/api/learner/{id}", api_learner),
        Route("/events", events),
        Route("/static/live.js", script),
    ]
    return TokenGate(Starlette(routes=routes), token)


def new_token() -> str:
    return secrets.token_urlsafe(24)
