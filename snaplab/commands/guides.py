"""`snaplab guides build|capture`: the guide site, and the real runs that prove it."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from snaplab import i18n
from snaplab.commands.common import add_json
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import both, detect
from snaplab.lab.model import load
from snaplab.lab.packs import BUILT_IN

if TYPE_CHECKING:
    from snaplab.guides import site


@dataclass
class BuildResult:
    built: site.Built
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict:
        b = self.built
        return {
            "site": str(b.site),
            "seconds": round(b.seconds, 2),
            "pages": {lang: len(p) for lang, p in b.pages.items()},
        }

    def render(self, lang: str) -> str:
        b = self.built
        ko, en = len(b.pages["ko"]), len(b.pages["en"])
        index = b.site / "index.html"
        serve = f"python3 -m http.server -d {b.site} 8000"
        if lang == "ko":
            return (
                f"가이드 사이트를 만들었습니다({b.seconds:.1f}초): 한국어 페이지 {ko}개, 영어 페이지 {en}개\n"
                f"  {index}\n  미리 보기: {serve} 후 http://127.0.0.1:8000/"
            )
        return (
            f"guide site built in {b.seconds:.1f} s: {ko} pages in Korean, {en} in English\n"
            f"  {index}\n  preview: {serve}, then http://127.0.0.1:8000/"
        )


@dataclass
class CaptureResult:
    written: list[Path] = field(default_factory=list)
    code: ExitCode = ExitCode.OK

    def to_dict(self) -> dict:
        return {"written": [str(p) for p in self.written]}

    def render(self, lang: str) -> str:
        files = "\n".join(f"  {p}" for p in self.written)
        if lang == "ko":
            return f"실제 실행 결과를 캡처했습니다({len(self.written)}개 파일):\n{files}"
        return f"captured from real runs ({len(self.written)} files):\n{files}"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "guides",
        help=i18n.helptext(
            "build the bilingual guide site, or capture the outputs it shows",
            "두 언어로 된 가이드 사이트를 빌드하거나, 사이트에 나오는 출력을 캡처",
        ),
        description=i18n.helptext(
            "The guide pages are rendered from the labs; the outputs they show come "
            "from real runs of the same commands.",
            "가이드 페이지는 실습 데이터로 만들어지고, 페이지에 나오는 출력은 같은 명령을 실제로 "
            "실행한 결과입니다.",
        ),
    )
    verbs = p.add_subparsers(dest="verb", metavar="VERB", parser_class=type(p))
    b = verbs.add_parser(
        "build",
        help=i18n.helptext(
            "render the pages from labs/ and guides/, then mkdocs build --strict",
            "labs/와 guides/로 페이지를 만든 뒤 mkdocs build --strict 실행",
        ),
        description=i18n.helptext(
            "Render every page (Korean and English) from the lab data, the templates "
            "in guides/ and the outputs in guides/captured/, then build the site with "
            "`mkdocs build --strict`: a broken link, a missing translation or a capture that no "
            "longer matches the lab fails the build.",
            "실습 데이터, guides/의 템플릿, guides/captured/의 출력으로 모든 페이지(한국어와 "
            "영어)를 만든 뒤 `mkdocs build --strict`로 사이트를 빌드합니다. 깨진 링크, 빠진 "
            "번역, 실습과 더는 맞지 않는 캡처가 있으면 빌드가 실패합니다.",
        ),
    )
    b.add_argument(
        "--out",
        type=Path,
        default=Path("build"),
        help=i18n.helptext(
            "where docs/ and site/ go (default: build)", "docs/와 site/를 둘 곳 (기본값: build)"
        ),
    )
    add_json(b)
    b.set_defaults(run=run_build)
    c = verbs.add_parser(
        "capture",
        help=i18n.helptext(
            "run every guide block for real and store the outputs (root)",
            "가이드의 모든 명령 블록을 실제로 실행하고 출력을 저장(root)",
        ),
        description=i18n.helptext(
            "Run every command block of every lab page in order, on LXD as lxdadmin "
            "and on Incus as incusadmin, against a fresh lab container, in both languages, and "
            "store stdout, stderr and exit codes under guides/captured/ (a pack's lab: in "
            "that pack's guides/captured/); also the host page's `host setup --dry-run` and "
            "`doctor`. Nothing is written unless every run proves its page (full marks, the "
            "refused delete refused). With --lab, that lab's page only (after changing one lab, "
            "or adding one): the other labs and the host page keep their files.",
            "모든 실습 페이지의 명령 블록을 새 실습 컨테이너에서 두 언어로 순서대로 실행하고"
            "(LXD는 lxdadmin으로, Incus는 incusadmin으로), stdout, stderr, 종료 코드를 "
            "guides/captured/에 저장합니다(팩의 실습은 그 팩의 guides/captured/에). 호스트 "
            "페이지의 `host setup --dry-run`과 `doctor`도 저장합니다. 모든 실행이 자기 페이지를 "
            "증명해야만(만점, 거부되어야 할 삭제는 거부됨) 파일을 씁니다. --lab을 주면 그 실습의 "
            "페이지만 캡처하며(실습 하나를 고치거나 추가한 뒤), 다른 실습과 호스트 페이지의 "
            "파일은 그대로 둡니다.",
        ),
    )
    c.add_argument(
        "--lab",
        metavar="ID",
        default=None,
        help=i18n.helptext(
            "re-capture this lab's page only (default: every lab, and the host page)",
            "이 실습의 페이지만 다시 캡처 (기본값: 모든 실습과 호스트 페이지)",
        ),
    )
    c.add_argument(
        "--into",
        type=Path,
        default=None,
        help=i18n.helptext(
            "where to write every file (default: a pack's lab into its pack's "
            "guides/captured, the built-in labs and the host page into guides/captured in the "
            "checkout you run it from)",
            "모든 파일을 쓸 곳 (기본값: 팩의 실습은 그 팩의 guides/captured, 기본 제공 실습과 "
            "호스트 페이지는 명령을 실행한 snaplab 체크아웃의 guides/captured)",
        ),
    )
    add_json(c)
    c.set_defaults(run=run_capture)


def run_build(args: argparse.Namespace) -> BuildResult:
    from snaplab.guides import site

    return BuildResult(site.build(args.out))


def run_capture(args: argparse.Namespace) -> CaptureResult:
    from snaplab.guides import capture

    # an unknown lab is said before anything runs, root or not
    lab = load(args.lab) if args.lab is not None else None
    into = args.into or capture.CHECKOUT
    in_checkout = args.into is not None or lab is None or lab.origin == BUILT_IN
    if in_checkout and not into.parent.is_dir():  # a pack's lab goes into its pack
        raise SnaplabError(
            both(
                f"{into.parent} does not exist: run this from the snaplab checkout, or pass --into",
                f"{into.parent}이(가) 없습니다: snaplab 저장소에서 실행하거나 --into를 지정하세요",
            ),
            ExitCode.USAGE,
        )

    lang = detect(getattr(args, "lang", None))
    say = lambda m: print(m.get(lang), file=sys.stderr)  # noqa: E731
    return CaptureResult(capture.capture(args.into, say, args.lab))
