"""`class serve`'s app with no daemon: the token gate, the languages, the JSON, the SSE
stream's first message (the whole state), and that nothing but GET is answered.
Served by uvicorn on a free port of 127.0.0.1, read with urllib."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from snaplab.classroom import roster, web
from snaplab.classroom.feed import Feed
from snaplab.lab.journal import Entry
from snaplab.lab.model import load

TOKEN = "sekrit-token"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Feed]]:
    path = tmp_path_factory.mktemp("class") / "ko101.csv"
    path.write_text("id,name,target\nkim,김민지,local\nlee,이서준,local\n", encoding="utf-8")
    lab = load("snapshots")
    feed = Feed(lab, roster.load(path, instance=lab.instance), 300)
    feed.state.began("kim", [Entry(t="2026-12-06T09:00:00Z", kind="start")])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    config = uvicorn.Config(web.app(feed, TOKEN), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", feed
    finally:
        server.should_exit = True
        thread.join(5)


def get(url: str, cookie: str = "", method: str = "GET", **headers: str):
    req = urllib.request.Request(url, method=method, headers=headers)
    if cookie:
        req.add_header("Cookie", cookie)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(req, timeout=5)
    except urllib.error.HTTPError as e:
        return e


def login(base: str) -> str:
    r = get(f"{base}/?token={TOKEN}&lang=ko")
    assert r.status == 303 and r.headers["location"] == "/?lang=ko"  # the token leaves the URL
    cookie = r.headers["set-cookie"].split(";")[0]
    assert "HttpOnly" in r.headers["set-cookie"]
    return cookie


@pytest.mark.parametrize("path", ["/", "/api/class", "/events", "/learner/kim", "/static/live.js"])
def test_without_the_token_every_page_is_403(served, path):
    base, _ = served
    assert get(base + path).status == 403
    assert get(f"{base}{path}?token=wrong").status == 403
    assert get(base + path, cookie="snaplab-live-1=" + TOKEN).status == 403  # another port's


def test_the_token_becomes_a_cookie_that_opens_every_page(served):
    base, _ = served
    cookie = login(base)
    for path in ("/", "/api/class", "/learner/kim", "/static/live.js"):
        assert get(base + path, cookie).status == 200, path
    assert get(base + "/learner/ghost", cookie).status == 404


def test_read_only_nothing_but_get(served):
    base, _ = served
    cookie = login(base)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert get(base + "/api/class", cookie, method=method).status == 405


def test_language_by_query_then_accept_language(served):
    base, _ = served
    cookie = login(base)
    ko = get(base + "/", cookie, **{"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}).read().decode()
    assert 'lang="ko"' in ko and "실시간 수업" in ko and "도움이 필요한 순" in ko
    en = get(base + "/?lang=en", cookie, **{"Accept-Language": "ko"}).read().decode()
    assert 'lang="en"' in en and "Live class" in en
    pref = get(base + "/", cookie, **{"Accept-Language": "fr, en;q=0.5, ko;q=0.9"}).read().decode()
    assert 'lang="ko"' in pref


def test_api_class_is_the_gradebook_shape_and_never_a_token(served):
    base, feed = served
    cookie = login(base)
    body = json.loads(get(base + "/api/class?lang=en", cookie).read())
    assert body["class"] == "ko101" and [x["id"] for x in body["learners"]] == ["kim", "lee"]
    assert len(body["steps"]) == len(feed.lab.steps) and body["max_score"] == 14
    assert body["to_grade"] == 0  # nothing marked: no grade to come
    kim = body["learners"][0]
    assert kim["score"] is None and kim["live"]["state"] == "waiting"  # not graded yet: no 0
    assert TOKEN not in json.dumps(body) and "access" not in json.dumps(body)


def test_events_begin_with_the_whole_state_then_rows(served):
    base, feed = served
    cookie = login(base)
    stream = get(base + "/events?lang=ko", cookie)
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.readline() == b"event: state\n"
    first = json.loads(stream.readline().removeprefix(b"data: "))
    assert first["class"] == "ko101" and len(first["learners"]) == 2
    stream.readline()
    feed.heard("kim", [Entry(t="2026-12-06T09:01:00Z", kind="event", action="instance-stopped")])
    assert stream.readline() == b"event: rows\n"
    rows = json.loads(stream.readline().removeprefix(b"data: "))
    assert rows["rows"][0]["id"] == "kim"
    assert rows["rows"][0]["last_activity"] == "2026-12-06T09:01:00.000Z"
    assert rows["event_t"] == ["2026-12-06T09:01:00Z"]
    stream.close()


def test_a_learners_stream_is_their_page(served):
    base, feed = served
    cookie = login(base)
    stream = get(base + "/events?lang=ko&learner=kim", cookie)
    assert stream.readline() == b"event: learner\n"
    page = json.loads(stream.readline().removeprefix(b"data: "))
    assert page["id"] == "kim" and len(page["checklist"]) == len(feed.lab.steps)
    assert page["checklist"][0]["title"] == feed.lab.steps[0].title.get("ko")
    stream.close()


def test_script_is_shipped_with_the_package_not_a_cdn():
    here = Path(web.__file__).parent
    assert (here / "static" / "live.js").exists()
    for page in (here / "templates").glob("*.j2"):
        assert "http://" not in page.read_text() and "https://" not in page.read_text()
