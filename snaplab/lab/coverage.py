"""Every step of a lab has exactly one check, and every check names a step.

Read from the check module's source, not by importing it: a mistyped marker
must be a lab-file error found before any daemon is touched, not a step that
silently can never pass. The same holds for a check's specific failures,
`step.fails("reason", name=...)`: each names a reason its step declares in
lab.yaml, with exactly the names that reason declares.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path


def _checks(source: str) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Each function marked `@pytest.mark.step("id")` (or `@mark.step`, `@step`), in order."""
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
                found.append((arg.value, node))
            else:
                found.append((f"<{node.name}: step id is not a string>", node))
    return found


def marked_steps(source: str) -> list[str]:
    """The ids of `@pytest.mark.step("id")` (or `@mark.step`, `@step`) decorators, in order."""
    return [step for step, _ in _checks(source)]


def failures(source: str) -> list[tuple[str, str, set[str] | None]]:
    """(step, reason, names passed) of each `X.fails("reason", name=...)` in a marked check;
    names None when they are not all written out (`**names`)."""
    found = []
    for step, node in _checks(source):
        calls = [c for c in ast.walk(node) if isinstance(c, ast.Call)]
        for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):  # as written
            if not isinstance(call.func, ast.Attribute):
                continue
            if call.func.attr != "fails" or not call.args:
                continue
            arg = call.args[0]
            reason = arg.value if isinstance(arg, ast.Constant) else None
            if not isinstance(reason, str):
                continue  # a reason chosen at run time: Step.fails checks it then
            names = {k.arg for k in call.keywords if k.arg is not None}
            spread = any(k.arg is None for k in call.keywords)
            found.append((step, reason, None if spread else names))
    return found


def problems(
    step_ids: list[str], checks: Path, reasons: dict[str, dict[str, set[str]]] | None = None
) -> list[str]:
    """`reasons`: what each step declares, reason id -> its names (lab.yaml)."""
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
    for step, reason, names in failures(source) if reasons is not None else []:
        declared = (reasons or {}).get(step, {})
        if reason not in declared:
            out.append(f"checks: step {step} fails with {reason!r}, not in its reasons")
        elif names is not None and names != declared[reason]:
            want = ", ".join(sorted(declared[reason])) or "none"
            out.append(
                f"checks: step {step} fails with {reason!r} naming "
                f"{', '.join(sorted(names)) or 'nothing'}; its names are {want}"
            )
    return out
