"""`snaplab class serve|watch ROSTER`: the class as it happens, on a web page or a terminal.

Both draw the one live state (snaplab/classroom/live.py) that the class recorders' news
keeps current (snaplab/classroom/feed.py). Everything that can be wrong with the input
(the roster, the lab, the class never set up, the address, the port taken) is found and
said in one line before anything listens or subscribes.
"""

from __future__ import annotations

import argparse
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from snaplab import i18n
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import LANGS, Text, both, detect

if TYPE_CHECKING:
    from snaplab.classroom.feed import Feed

LISTEN = "127.0.0.1:8765"
STUCK = "5m"
EXAMPLE = i18n.helptext(
    """\
  snaplab class serve ko101.csv                    # http://127.0.0.1:8765/?token=...
  snaplab class serve ko101.csv --listen 0.0.0.0:8080 --stuck 10m   # on the projector
  snaplab class watch ko101.csv                    # the same table in this terminal
  snaplab class watch ko101.csv --once             # print it once and exit

exit codes: 0 stopped; 2 bad roster or option; 5 the class was never set up;
6 the port is taken.
""",
    """\
  snaplab class serve ko101.csv                    # http://127.0.0.1:8765/?token=...
  snaplab class serve ko101.csv --listen 0.0.0.0:8080 --stuck 10m   # 프로젝터용
  snaplab class watch ko101.csv                    # 같은 표를 이 터미널에 표시
  snaplab class watch ko101.csv --once             # 한 번 출력하고 끝냄

종료 코드: 0 멈춤, 2 명단이나 옵션 오류, 5 수업이 준비된 적 없음,
6 포트를 이미 다른 프로그램이 쓰고 있음.
""",
)


def register(verbs: argparse._SubParsersAction, class_verb: Callable[..., Any]) -> None:
    """`class_verb` (commands/classroom.py) makes a verb with the roster's options."""
    for name, run, text in (
        (
            "serve",
            run_serve,
            i18n.helptext(
                "a live web dashboard of the class (read-only, token-protected)",
                "수업의 실시간 웹 대시보드(읽기 전용, 토큰으로 보호)",
            ),
        ),
        (
            "watch",
            run_watch,
            i18n.helptext(
                "the class's live table in this terminal", "수업의 실시간 표를 이 터미널에 표시"
            ),
        ),
    ):
        v = class_verb(verbs, name, text, EXAMPLE)
        v.add_argument(
            "--stuck",
            default=STUCK,
            metavar="TIME",
            help=i18n.helptext(
                f"mark a learner stuck after this long with no step proven (default: {STUCK}; "
                "90s, 5m, 1h)",
                f"증명된 단계 없이 이 시간이 지나면 학습자를 막힘으로 표시 (기본값: {STUCK}; "
                "90s, 5m, 1h)",
            ),
        )
        v.add_argument(
            "--timeout",
            type=float,
            default=30.0,
            help=i18n.helptext(
                "seconds per grade (default: 30)",
                "채점 한 번에 허용하는 시간, 초 단위 (기본값: 30)",
            ),
        )
        v.set_defaults(run=run)
    verbs.choices["serve"].add_argument(
        "--listen",
        default=LISTEN,
        metavar="ADDR:PORT",
        help=i18n.helptext(
            f"where to serve (default: {LISTEN})", f"웹 페이지를 열 주소 (기본값: {LISTEN})"
        ),
    )
    verbs.choices["watch"].add_argument(
        "--once",
        action="store_true",
        help=i18n.helptext(
            "print the table once, after the first grade, and exit",
            "첫 채점이 끝나면 표를 한 번 출력하고 끝냄",
        ),
    )


def seconds(value: str) -> float:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", value)
    if not m or float(m.group(1)) <= 0:
        raise SnaplabError(
            both(
                f"--stuck {value!r}: give a time such as 90s, 5m or 1h",
                f"--stuck {value!r}: 90s, 5m, 1h 같은 시간을 주세요",
            ),
            ExitCode.USAGE,
        )
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def address(value: str) -> tuple[str, int]:
    m = re.fullmatch(r"\[?([^\]]*?)\]?:(\d{1,5})", value.strip())
    if not m or not m.group(1) or not 0 <= int(m.group(2)) < 65536:  # 0: any free port
        raise SnaplabError(
            both(
                f"--listen {value!r}: give ADDR:PORT, such as 127.0.0.1:8765 or 0.0.0.0:8080",
                f"--listen {value!r}: 127.0.0.1:8765나 0.0.0.0:8080처럼 주소:포트로 주세요",
            ),
            ExitCode.USAGE,
        )
    return m.group(1), int(m.group(2))


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, made here so a taken port is one line, before anything runs."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as e:
        raise SnaplabError(
            both(
                f"--listen: unknown address {host}: {e}", f"--listen: 알 수 없는 주소 {host}: {e}"
            ),
            ExitCode.USAGE,
        ) from None
    family, _, _, _, where = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(where)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise SnaplabError(
            both(
                f"cannot listen on {host}:{port} ({e.strerror}): another program has it; "
                "pick another with --listen ADDR:PORT",
                f"{host}:{port}에서 대기할 수 없습니다({e.strerror}): 다른 프로그램이 쓰고 "
                "있습니다. --listen 주소:포트로 다른 곳을 고르세요",
            ),
            ExitCode.CONFLICT,
        ) from None
    return sock


def feed(args: argparse.Namespace) -> Feed:
    """The class's live feed, not yet started: every input checked."""
    from snaplab.classroom import roster
    from snaplab.classroom.feed import Feed
    from snaplab.classroom.state import not_set_up
    from snaplab.lab.model import load

    stuck = seconds(args.stuck)
    if not (args.timeout > 0 and args.timeout < 3600):
        raise SnaplabError(
            both("--timeout must be seconds above 0", "--timeout은 0보다 큰 초여야 합니다"),
            ExitCode.USAGE,
        )
    lab = load(args.lab)
    klass = roster.load(
        args.roster, name=args.name, backend=args.backend, instance=args.instance or lab.instance
    )
    if error := not_set_up(klass, args.roster):
        raise error
    return Feed(lab, klass, stuck, args.timeout)


@dataclass
class Stopped:
    message: Text
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message.en}

    def render(self, lang: str) -> str:
        return self.message.get(lang)


def run_serve(args: argparse.Namespace) -> Stopped:
    import uvicorn

    from snaplab.classroom import web

    fixed = args.lang if getattr(args, "lang", None) in LANGS else None
    live = feed(args)
    host, port = address(args.listen)
    sock = bind(host, port)
    token = web.new_token()
    live.start()
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}/?token={token}"
    lang = detect(getattr(args, "lang", None))
    said = both(
        f"class {live.roster.name} live at {url}  (Ctrl-C to stop)",
        f"{live.roster.name} 수업 실시간 화면: {url}  (끝내려면 Ctrl-C)",
    )
    print(said.get(lang), flush=True)
    config = uvicorn.Config(
        web.app(live, token, fixed),
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=1,  # open /events streams never end by themselves
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # Ctrl-C or kill: uvicorn has shut down, and says it again
        pass
    finally:
        live.stop()
    return Stopped(both("stopped", "멈췄습니다"))


def run_watch(args: argparse.Namespace) -> Stopped:
    from rich.console import Console
    from rich.live import Live

    from snaplab.classroom.terminal import table

    lang = detect(getattr(args, "lang", None))
    live = feed(args)
    news = threading.Event()
    live.subscribe(lambda _message: news.set())
    live.start()
    console = Console(width=None if sys.stdout.isatty() else 160)
    try:
        deadline = time.monotonic() + len(live.rows) * args.timeout + 10
        while live.grades == 0 and time.monotonic() < deadline:  # everyone's first grade
            time.sleep(0.1)
        if args.once:
            console.print(table(live.snapshot(lang), lang))
            return Stopped(both("", ""))
        with Live(table(live.snapshot(lang), lang), console=console, auto_refresh=False) as screen:
            while True:  # at news, and each second anyway: the clocks move when nobody acts
                news.wait(1.0)
                news.clear()
                screen.update(table(live.snapshot(lang), lang), refresh=True)
    finally:
        live.stop()
