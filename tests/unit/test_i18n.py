"""Every line a person reads exists in Korean and English.

The scans read the source with `ast`, so a new message in one language fails here
before anyone reads it: a `SnaplabError` (or a doctor Skip, a host setup step title)
made of a plain str, and a `print`/`say` of English words in the modules that talk to
the terminal. What is allowed to stay one language is listed below, with its reason.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from snaplab.i18n import CATALOG, Text, as_text, both, same, text

SNAPLAB = Path(__file__).resolve().parents[2] / "snaplab"

# calls whose message argument must be Text (both languages), and which argument it is
MESSAGES = {"SnaplabError": 0, "CertificateMismatch": 0, "Skip": 0, "Step": 1, "Check": 1}
# modules whose print/say/stderr.write lines reach the terminal
TALKERS = ("cli.py", "guides/", "commands/", "host/", "classroom/", "doctor/")
WORD = re.compile(r"[A-Za-z]{3,}")
# words that read the same in both languages: names, commands, options, units
NEUTRAL = {"snaplab", "lxd", "incus", "lxc", "apt", "get", "sudo"}

# (module, a piece of the line) -> why it may stay in one language
ALLOWED: dict[tuple[str, str], str] = {}


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _literal_words(node: ast.AST) -> list[str]:
    """The English words written literally in an expression (not those it computes, nor
    a catalog key or a Text's own words)."""
    if isinstance(node, ast.Call) and _name(node) in ("text", "both", "get"):
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        words = WORD.findall(re.sub(r"`[^`]*`", "", node.value))
        return [w for w in words if w.lower() not in NEUTRAL]
    return [w for child in ast.iter_child_nodes(node) for w in _literal_words(child)]


def _plain(node: ast.AST, scope: ast.AST) -> bool:
    """Whether an expression is a plain str message: a literal, an f-string, a str
    concatenation or format, a `same(...)`, or a variable assigned one of those."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _plain(node.left, scope) or _plain(node.right, scope)
    if isinstance(node, ast.Call):
        if _name(node) == "same":
            return True
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "replace"):
            return _plain(node.func.value, scope)
        return False
    if isinstance(node, ast.Name):
        for sub in ast.walk(scope):
            if isinstance(sub, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in sub.targets
            ):
                if _plain(sub.value, scope):
                    return True
    return False


def _scopes(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    """Each node's enclosing function (or the module)."""
    owner: dict[ast.AST, ast.AST] = {}

    def visit(node: ast.AST, scope: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else scope
            owner[child] = inner
            visit(child, inner)

    visit(tree, tree)
    return owner


def _where(path: Path, root: Path, node: ast.AST) -> str:
    return f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}"


def _allowed(path: Path, root: Path, source: str, node: ast.AST) -> bool:
    line = ast.get_source_segment(source, node) or ""
    rel = str(path.relative_to(root))
    return any(rel == module and piece in line for module, piece in ALLOWED)


def _terminal(call: ast.Call) -> bool:
    """print(...), say(...), or sys.stderr/sys.stdout.write(...)."""
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr == "write":
        return isinstance(f.value, ast.Attribute) and f.value.attr in ("stderr", "stdout")
    return _name(call) in ("print", "say")


def one_language_messages(root: Path = SNAPLAB) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        owner = _scopes(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node) not in MESSAGES:
                continue
            at = MESSAGES[_name(node)]
            arg = node.args[at] if len(node.args) > at else None
            title = next((k.value for k in node.keywords if k.arg in ("message", "title")), None)
            message = arg or title
            if message is not None and _plain(message, owner[node]):
                if not _allowed(path, root, source, node):
                    where = _where(path, root, node)
                    found.append(f"{where} {_name(node)}: {ast.unparse(message)}")
    return found


def english_only_lines(root: Path = SNAPLAB) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if not str(path.relative_to(root)).startswith(TALKERS):
            continue
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call) or not _terminal(node):
                continue
            words = [w for a in node.args for w in _literal_words(a)]
            if words and not _allowed(path, root, source, node):
                found.append(f"{_where(path, root, node)} {ast.unparse(node)}")
    return found


def test_no_error_step_or_check_is_in_one_language_only():
    found = one_language_messages()
    assert not found, "give these a Korean twin (both() or a CATALOG text()):\n" + "\n".join(found)


def test_no_terminal_line_is_english_only():
    found = english_only_lines()
    assert not found, "print these through Text, in the reader's language:\n" + "\n".join(found)


def test_the_scan_finds_what_it_looks_for(tmp_path):
    """The scanner itself: a plain message is caught, a bilingual one is not."""
    (tmp_path / "snaplab" / "commands").mkdir(parents=True)
    module = tmp_path / "snaplab" / "commands" / "probe.py"
    code = (
        "from snaplab.i18n import both\n"
        "def f(e, say):\n"
        "    msg = f'cannot do {e}'\n"
        "    raise SnaplabError(msg)\n"
        "def g(say):\n"
        "    raise SnaplabError(both('a', '가'))\n"
        "def h(say):\n"
        "    say('working on it')\n"
        "    say(both('working', '작업 중'))\n"
        "    print(f'$ {say}')\n"
    )
    module.write_text(code, encoding="utf-8")
    errors = one_language_messages(tmp_path / "snaplab")
    lines = english_only_lines(tmp_path / "snaplab")
    assert errors == ["snaplab/commands/probe.py:4 SnaplabError: msg"]
    assert lines == ["snaplab/commands/probe.py:8 say('working on it')"]


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_catalog_entry_has_both_languages_and_the_same_placeholders(key):
    entry = CATALOG[key]
    assert set(entry) == {"en", "ko"}
    assert entry["en"].strip() and entry["ko"].strip()
    assert entry["ko"] != entry["en"]
    assert _fields(entry["en"]) == _fields(entry["ko"]), key


def test_text_pieces_join_in_both_languages():
    joined = "a " + both("b", "나") + same(" c") + "; "
    assert joined == Text("a b c; ", "a 나 c; ")
    assert not same("") and both("x", "")
    assert as_text("x") == same("x") and as_text(both("x", "엑스")).ko == "엑스"
    assert text("wrong_backend", where="u", server="incus", backend="lxd").ko.startswith("u은(는)")
