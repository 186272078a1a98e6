"""`snaplab guides build|capture`: the guide site, and the real runs that prove it."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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
        help="build the bilingual guide site, or capture the outputs it shows",
        description="The guide pages are rendered from the labs; the outputs they show come "
        "from real runs of the same commands.",
    )
    verbs = p.add_subparsers(dest="verb", metavar="VERB", parser_class=type(p))
    b = verbs.add_parser(
        "build",
        help="render the pages from labs/ and guides/, then mkdocs build --strict",
        description="Render every page (Korean and English) from the lab data, the templates "
        "in guides/ and the outputs in guides/captured/, then build the site with "
        "`mkdocs build --strict`: a broken link, a missing translation or a capture that no "
        "longer matches the lab fails the build.",
    )
    b.add_argument(
        "--out", type=Path, default=Path("build"), help="where docs/ and site/ go (default: build)"
    )
    b.add_argument("--json", action="store_true")
    b.set_defaults(run=run_build)
    c = verbs.add_parser(
        "capture",
        help="run every guide block for real and store the outputs (root)",
        description="Run every command block of every lab page in order, on LXD as lxdadmin "
        "and on Incus as incusadmin, against a fresh lab container, in both languages, and "
        "store stdout, stderr and exit codes under guides/captured/ (a pack's lab: in "
        "that pack's guides/captured/); also the host page's `host setup --dry-run` and "
        "`doctor`. Nothing is written unless every run proves its page (full marks, the "
        "refused delete refused). With --lab, that lab's page only (after changing one lab, "
        "or adding one): the other labs and the host page keep their files.",
    )
    c.add_argument(
        "--lab",
        metavar="ID",
        default=None,
        help="re-capture this lab's page only (default: every lab, and the host page)",
    )
    c.add_argument(
        "--into",
        type=Path,
        default=None,
        help="where to write every file (default: a pack's lab into its pack's "
        "guides/captured, the built-in labs and the host page into guides/captured in the "
        "checkout you run it from)",
    )
    c.add_argument("--json", action="store_true")
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
