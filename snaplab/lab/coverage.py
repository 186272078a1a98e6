"""Every step of a lab has exactly one check, and every check names a step.

Read from the check module's source, not by importing it: a mistyped marker
must be a lab-file error found before any daemon is touched, not a step that
silently can never pass.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path


def marked_steps(source: str) -> list[str]:
    """The ids of `@pytest.mark.step("id")` (or `@mark.step`, `@step`) decorators, in order."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for deco in node.decorator_list:
            if not isinstance(deco, ast.Call):
                continue
            fn = deco.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if name != "step":
                continue
            arg = deco.args[0] if deco.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append(arg.value)
            else:
                found.append(f"<{node.name}: step id is not a string>")
    return found


def problems(step_ids: list[str], checks: Path) -> list[str]:
    try:
        source = checks.read_text(encoding="utf-8")
    except OSError as e:
        return [f"checks: cannot read {checks} ({e.strerror})"]
    try:
        marked = marked_steps(source)
    except SyntaxError as e:
        return [f"checks: {checks.name} line {e.lineno}: {e.msg}"]
    count = Counter(marked)
    out = [
        f"steps.{s}: no check in {checks.name} is marked step({s!r})"
        for s in step_ids
        if s not in count
    ]
    out += [
        f"checks: {n} checks are marked step({s!r}); one step, one check"
        for s, n in count.items()
        if n > 1
    ]
    out += [f"checks: step({s!r}) names no step of the lab" for s in count if s not in step_ids]
    return out
