"""A roster file read into rows, as written: CSV (what a spreadsheet exports) or YAML.

Nothing here judges a value: snaplab/classroom/roster.py turns rows into learners and
reports every bad one at once. Reading keeps each value's line, so that report can
point at it, and collects shape errors (an unknown column, a list where a value goes)
instead of stopping at the first.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from snaplab.errors import ExitCode, SnaplabError, not_yaml
from snaplab.i18n import Text, both

REQUIRED = ("id", "name", "target")
COLUMNS = (*REQUIRED, "project", "backend", "instance")
_NULL = "tag:yaml.org,2002:null"


@dataclass
class Row:
    """One learner (or the YAML's class and defaults) as written, before any checking."""

    line: int
    values: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # YAML: the line of each value
    broken: bool = False  # a value was a list or a mapping, reported while reading

    def at(self, key: str) -> int:
        return self.lines.get(key, self.line)


Errors = list[tuple[int, Text]]


def read_csv(text: str, errors: Errors) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    rows: list[Row] = []
    start = 1  # a quoted cell may span lines: a record starts after the previous one ends
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            cells = [c.strip() for c in cells]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if not header:
                header = [c.lower() for c in cells]
                for i, c in enumerate(header):
                    if c not in COLUMNS:
                        errors.append((line, _unknown("column", "열", c, COLUMNS)))
                    elif c in header[:i]:
                        errors.append(
                            (
                                line,
                                both(
                                    f"column {c!r} appears twice", f"열 {c!r}이(가) 두 번 나옵니다"
                                ),
                            )
                        )
                missing = ", ".join(c for c in REQUIRED if c not in header)
                if missing:
                    errors.append(
                        (
                            line,
                            both(
                                f"the header lacks {missing}",
                                f"머리글 행에 {missing}이(가) 없습니다",
                            ),
                        )
                    )
                    return rows
                continue
            if any(cells[len(header) :]):
                n, width = len(cells), len(header)
                errors.append(
                    (
                        line,
                        both(
                            f"{n} cells, the header has {width} columns",
                            f"칸이 {n}개인데 머리글 행의 열은 {width}개입니다",
                        ),
                    )
                )
            rows.append(Row(line, {k: v for k, v in zip(header, cells, strict=False) if v}))
    except csv.Error as e:
        errors.append(
            (reader.line_num, both(f"not readable as CSV: {e}", f"CSV로 읽을 수 없습니다: {e}"))
        )
    return rows


def _unknown(en: str, ko: str, name: str, known: tuple[str, ...]) -> Text:
    """A CSV column or YAML key the roster does not have, and the ones it has."""
    names = ", ".join(known)
    return both(
        f"unknown {en} {name!r} ({en}s: {names})", f"알 수 없는 {ko} {name!r}입니다({ko}: {names})"
    )


def _mapping(node: yaml.MappingNode, keys: tuple[str, ...], errors: Errors) -> dict[str, yaml.Node]:
    found: dict[str, yaml.Node] = {}
    for k, v in node.value:
        key, line = str(k.value), k.start_mark.line + 1
        if key not in keys:
            errors.append((line, _unknown("key", "키", key, keys)))
        elif key in found:
            errors.append(
                (line, both(f"key {key!r} appears twice", f"키 {key!r}이(가) 두 번 나옵니다"))
            )
        else:
            found[key] = v
    return found


def _put(row: Row, key: str, node: yaml.Node, errors: Errors) -> None:
    """Values are taken as written, untyped: `id: 007` stays '007', `name: No` stays 'No'."""
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode):
        row.lines[key], row.broken = line, True  # given, if wrongly: not also "missing"
        errors.append(
            (line, both(f"{key} must be a single value", f"{key}에는 값 하나만 쓸 수 있습니다"))
        )
    elif node.tag != _NULL and str(node.value).strip():
        row.values[key], row.lines[key] = str(node.value).strip(), line


def read_yaml(text: str, path: Path, errors: Errors) -> tuple[list[Row], Row]:
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        raise not_yaml(path, e, ExitCode.USAGE) from None
    shape = both(
        f"{path} is not a roster: expected a mapping with a learners: list",
        f"{path}은(는) 명단이 아닙니다: learners: 목록이 있는 매핑이어야 합니다",
    )
    meta = Row(1)
    if root is None:  # an empty file
        return [], meta
    if not isinstance(root, yaml.MappingNode):
        raise SnaplabError(shape, ExitCode.USAGE)
    top = _mapping(root, ("class", "defaults", "learners"), errors)
    if "class" in top:
        _put(meta, "class", top["class"], errors)
    defaults = top.get("defaults")
    if isinstance(defaults, yaml.MappingNode):
        for key, node in _mapping(defaults, ("backend", "instance"), errors).items():
            _put(meta, key, node, errors)
    elif defaults is not None and defaults.tag != _NULL:
        errors.append(
            (
                defaults.start_mark.line + 1,
                both("defaults must be a mapping", "defaults는 매핑이어야 합니다"),
            )
        )
    learners = top.get("learners")
    if learners is None or learners.tag == _NULL:
        return [], meta
    if not isinstance(learners, yaml.SequenceNode):
        n = learners.start_mark.line + 1
        raise SnaplabError(both(f"{shape.en} (line {n})", f"{shape.ko}({n}행)"), ExitCode.USAGE)
    rows: list[Row] = []
    for item in learners.value:
        row = Row(item.start_mark.line + 1)
        if not isinstance(item, yaml.MappingNode):
            errors.append(
                (
                    row.line,
                    both(
                        "a learner is a mapping: {id: ..., name: ..., target: ...}",
                        "학습자 항목은 매핑이어야 합니다: {id: ..., name: ..., target: ...}",
                    ),
                )
            )
            continue
        for key, node in _mapping(item, COLUMNS, errors).items():
            _put(row, key, node, errors)
        rows.append(row)
    return rows, meta
