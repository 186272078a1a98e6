"""`snaplab class serve` in a real browser: Debian's chromium, headless, driven by selenium,
against a live class on a spare daemon of each kind (as tests/integration/test_class.py).

Three learners are set up and recorded; a fourth's host (an HTTPS address where nothing
listens) cannot be reached. A learner takes a snapshot with their own client in their own
project, and the open class page's row changes without a reload; their page shows the
event in their words; the Korean page is Korean; no token, no page.
"""

from __future__ import annotations

import csv
import http.cookiejar
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from snaplab import remotes
from tests.browser.test_guide_site import SHOTS, browser, wait  # noqa: F401 - the fixture
from tests.conftest import snaplab
from tests.integration.spare import Spare, cli_argv, free_address

pytestmark = [pytest.mark.integration, pytest.mark.browser]

LEARNERS = ["kim", "lee", "park"]
FAR = "far"  # an HTTPS host that is down
DOWN = "https://127.0.0.1:9"  # where nothing listens
WAIT = 30  # generous: the row is expected within a second or two; a slow CI host is no failure
SNAP = {"lxd": ["snapshot"], "incus": ["snapshot", "create"]}


@dataclass
class Live:
    backend: str
    spare: Spare
    env: dict[str, str]
    url: str  # with the token
    base: str
    roster: Path

    def act(self, learner: str, *args: str) -> None:
        """The learner's own client in their own project."""
        self.spare.cli(*args, "--project", f"live-{learner}")


@pytest.fixture(scope="module", params=["lxd", "incus"])
def live(request, spares) -> Iterator[Live]:
    backend = request.param
    spare = spares.get(backend, "classroom")
    home = Path(tempfile.mkdtemp(prefix="snaplab-live-", dir="/tmp"))
    env = {
        **spare.env,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "SNAPLAB_LANG": "en",
    }
    down_remote(home / "config", backend)
    roster = home / "live.csv"
    with open(roster, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "target", "backend"])
        for i in LEARNERS:
            w.writerow([i, f"학습자 {i}", "local", backend])
        w.writerow([FAR, "먼 학습자", DOWN, backend])
    r = snaplab("class", "setup", str(roster), "--listen", free_address(), env=env, timeout=300)
    assert "recording 3 learner(s)" in r.out, r.err + r.out
    serve = subprocess.Popen(
        cli_argv("class", "serve", str(roster), "--listen", "127.0.0.1:0", "--stuck", "10m"),
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = serve.stdout.readline() if serve.stdout else ""
        assert "?token=" in line, line + (serve.stderr.read() if serve.poll() is not None else "")
        url = line.split()[line.split().index("at") + 1]
        yield Live(backend, spare, env, url, url.split("/?")[0], roster)
    finally:
        serve.terminate()
        serve.wait(10)
        snaplab("class", "teardown", str(roster), env=env, timeout=300)
        shutil.rmtree(home, ignore_errors=True)


def down_remote(config: Path, backend: str) -> None:
    """A stored remote whose host is down: its certificate pinned, nothing listening."""
    saved = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(config)
    try:
        cert, _key = remotes.self_signed("down")
        pin = remotes.pin_path("down")
        pin.parent.mkdir(parents=True, exist_ok=True)
        pin.write_bytes(cert)
        remotes.save({"down": remotes.Remote("down", DOWN, backend, str(pin))})
    finally:
        if saved is None:
            os.environ.pop("XDG_CONFIG_HOME")
        else:
            os.environ["XDG_CONFIG_HOME"] = saved


def cell(driver, learner: str, css: str) -> str:
    found = driver.find_elements("css selector", f"#class tr[data-id='{learner}'] td.{css}")
    return found[0].text if found else ""


def test_no_token_no_page(live):
    for path in ("/", "/api/class", "/events", "/learner/kim"):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(live.base + path, timeout=10)
        assert e.value.code == 403


def test_a_learners_snapshot_changes_their_row_without_a_reload(live, browser):  # noqa: F811
    driver = browser
    driver.get(live.url + "&lang=en")
    wait(driver, lambda d: cell(d, "kim", "score") == "0/14", WAIT)
    driver.execute_script("window.sameLoad = 'yes'")
    acted = time.monotonic()
    live.act("kim", *SNAP[live.backend], "ubuntu-test", "업그레이드-전")
    wait(driver, lambda d: cell(d, "kim", "score") == "2/14", WAIT)
    took = time.monotonic() - acted
    print(f"{live.backend}: snapshot to row change in the browser: {took:.2f} s")
    assert driver.execute_script("return window.sameLoad") == "yes"  # no reload
    assert "See the snapshot" in cell(driver, "kim", "step")
    assert cell(driver, "kim", "last").endswith("ago")
    assert cell(driver, "lee", "score") == "0/14"  # the others unchanged
    wait(driver, lambda d: "unreachable" in cell(d, FAR, "status"), WAIT)
    assert cell(driver, FAR, "score") == "—"  # never a zero
    funnel = driver.find_elements("css selector", "#funnel div")
    assert funnel[0].text == "1"
    assert fits(driver)
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"class-live-{live.backend}.png"))

    driver.get(live.base + "/learner/kim?lang=en")
    wait(driver, lambda d: "snapshot 업그레이드-전 created" in _text(d, "#timeline"), WAIT)
    assert "✓ Take a snapshot" in _text(driver, "#checklist")
    assert "hint" in _text(driver, "#checklist")  # the next step's, as `check` shows it


def test_the_korean_page_is_korean(live, browser):  # noqa: F811
    driver = browser
    driver.get(live.base + "/?lang=ko")
    wait(driver, lambda d: cell(d, "lee", "score") == "0/14", WAIT)
    assert driver.find_element("tag name", "html").get_attribute("lang") == "ko"
    assert "실시간 수업" in driver.find_element("tag name", "h1").text
    head = _text(driver, "#class thead")
    assert "이름" in head and "점수" in head and "마지막 활동" in head
    assert "컨테이너의 스냅샷 만들기" in cell(driver, "lee", "step")
    wait(driver, lambda d: "연결 불가" in cell(d, FAR, "status"), WAIT)
    assert fits(driver)
    driver.save_screenshot(str(SHOTS / f"class-live-{live.backend}-ko.png"))


def fits(driver) -> bool:
    """No sideways scrolling: the page is for a projector, and a long reason is cut (whole
    in its title), never pushing the status out of the window."""
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def _text(driver, css: str) -> str:
    found = driver.find_elements("css selector", css)
    return found[0].text if found else ""


def test_class_watch_once_prints_the_same_rows(live):
    """The terminal's table and the web's JSON agree, learner by learner."""
    env = {**live.env, "COLUMNS": "200"}
    r = snaplab("class", "watch", str(live.roster), "--once", env=env, timeout=120)
    assert r.rc == 0, r.err
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in r.out.splitlines()]
    rows = {c[1]: c for c in cells if len(c) == 8 and c[1]}
    assert set(rows) == {*LEARNERS, FAR}
    web = {x["id"]: x["live"] for x in api(live, "/api/class")["learners"]}
    for learner in LEARNERS:
        assert rows[learner][3] == web[learner]["score"], (rows[learner], web[learner])
    assert rows[FAR][3] == "—" and rows[FAR][7].startswith("unreachable")


def api(live: Live, path: str) -> dict:
    """A JSON page, through the token's cookie as a browser would."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(live.url, timeout=10).read()
    return json.loads(opener.open(live.base + path, timeout=10).read())


def journal(live: Live, learner: str) -> list[dict]:
    state = Path(live.env["XDG_STATE_HOME"]) / "snaplab"
    [path] = state.glob(f"*-{live.backend}-local-live-{learner}-ubuntu-test/journal.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def score(live: Live, learner: str) -> str:
    return {x["id"]: x["live"]["score"] for x in api(live, "/api/class")["learners"]}[learner]


def running(pid: int) -> bool:
    """Not gone, and not a zombie nobody has reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def until(what, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.2)
    return False


def test_the_page_hears_the_class_through_a_daemon_restart_and_a_recorder_restart(live):
    """A row changes only on an event the recorder heard: so each learner's row changing
    after a restart shows the class's news flowing again, with no page reloaded. The
    recorder says "listening" once its new stream carries a message; a command typed
    before that may go unheard, as `check` says of any session."""

    def listening() -> int:
        return sum(1 for e in journal(live, "lee") if e.get("note") == "listening")

    heard = listening()
    live.spare.kill()  # the daemon dies as in a crash, the containers run on, and it is back
    live.spare.start()
    assert until(lambda: listening() > heard), "the recorder did not listen again"
    live.act("lee", *SNAP[live.backend], "ubuntu-test", "다시-시작-후")
    assert until(lambda: score(live, "lee") == "2/14"), score(live, "lee")

    [book] = (Path(live.env["XDG_STATE_HOME"]) / "snaplab").glob("class-*/recorders.json")
    [pid] = json.loads(book.read_text())
    os.kill(pid, signal.SIGTERM)
    assert until(lambda: not running(pid)), "the recorder did not stop"
    out = str(Path(live.env["HOME"]) / "book")
    r = snaplab("class", "grade", str(live.roster), "--out", out, env=live.env, timeout=300)
    assert "restarted" in r.out + r.err, r.out + r.err  # `class grade` starts it again
    book = json.loads((Path(out) / "gradebook.json").read_text())
    notes = {x["id"]: " ".join(x["notes"]) for x in book["learners"]}
    assert "listened again" in notes["lee"], notes  # the stream's gap, said with its time
    live.act("park", *SNAP[live.backend], "ubuntu-test", "다시-시작-후")
    assert until(lambda: score(live, "park") == "2/14"), score(live, "park")


def test_teardown_stops_this_host_listening_though_a_far_learners_host_is_down(live):
    """Last: the far learner's teardown fails (their host is down), which must not keep this
    host listening for a class that has left it; the fixture's teardown then finds nothing."""
    r = snaplab("class", "teardown", str(live.roster), env=live.env, timeout=300)
    assert r.rc != 0 and FAR in r.out + r.err  # their host could not be reached: said
    assert "no longer listens" in r.out, r.out
    assert live.spare.cli("config", "get", "core.https_address").stdout.strip() == ""
