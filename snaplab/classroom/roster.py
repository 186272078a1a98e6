"""A class roster: who the learners are and which container each one is graded on.

Read from CSV or YAML (snaplab/classroom/rows.py), and validated whole before
anything connects: one message naming every bad line beats one fix per run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from snaplab import remotes
from snaplab.backends import NAMES
from snaplab.classroom.rows import COLUMNS, REQUIRED, Errors, Row, read_csv, read_yaml
from snaplab.errors import ExitCode, SnaplabError
from snaplab.i18n import Text, as_text, both
from snaplab.lab.journal import Session, container_key
from snaplab.lab.model import check_name

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")  # learner ids and project names
CLASS = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")  # short and lowercase: it prefixes projects
ID_RULE = both(
    "use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit",
    "영문자나 숫자로 시작하는 1~63자의 영문자, 숫자, '_', '.', '-'를 사용하세요",
)
CLASS_RULE = both(
    "use 1-24 lowercase letters, digits or '-', starting with a letter or digit",
    "영문 소문자나 숫자로 시작하는 1~24자의 영문 소문자, 숫자, '-'를 사용하세요",
)
SAME_RULE = both(
    "give one a different project or instance", "둘 중 하나에 다른 project나 instance를 지정하세요"
)
TARGET_RULE = both(
    "use local or https://HOST[:PORT] (port 1-65535; no path, query or user)",
    "local 또는 https://HOST[:PORT]를 사용하세요(포트 1~65535, 경로·쿼리·사용자 정보 없이)",
)


@dataclass(frozen=True)
class Learner:
    id: str
    name: str
    backend: str  # a name in snaplab.backends.NAMES
    instance: str
    project: str
    url: str | None  # None: the shared host's local socket; else canonical https://host:port
    line: int  # where the roster names this learner, for messages

    @property
    def target(self) -> str:
        return self.url or "local"

    def to_dict(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in COLUMNS}  # a roster row, as written back

    def session(self, lab: str) -> Session:
        """The same session `snaplab check --project P --instance I` means: one journal."""
        return Session(lab, self.backend, self.project, self.instance, self.url)


@dataclass(frozen=True)
class Roster:
    name: str
    path: Path
    learners: tuple[Learner, ...]

    def get(self, learner_id: str) -> Learner:
        """Case-insensitive, as duplicate ids are: `Kim` and `kim` cannot both be listed."""
        for learner in self.learners:
            if learner.id.casefold() == learner_id.casefold():
                return learner
        n = len(self.learners)
        raise SnaplabError(
            both(
                f"no learner {learner_id!r} in class {self.name} ({n} learners): the ids are "
                f"the id column (CSV) or id: keys (YAML) of {self.path}",
                f"수업 {self.name}에 학습자 {learner_id!r}이(가) 없습니다(학습자 {n}명): id는 "
                f"{self.path}의 id 열(CSV) 또는 id: 키(YAML)입니다",
            ),
            ExitCode.USAGE,
        )

    def local(self) -> tuple[Learner, ...]:
        return tuple(learner for learner in self.learners if learner.url is None)


def _url(target: str) -> str | None:
    """The canonical URL, or None. Stricter than `remotes.host_port`, which lets a query,
    a user or port 0 through: a roster is typed by hand and a typo must not pass."""
    if any(c.isspace() or c in "?#@" for c in target) or not target.lower().startswith("https://"):
        return None
    port = target[8:].partition("/")[0].rpartition("]")[2].partition(":")
    if port[1] and not (port[2].isascii() and port[2].isdigit() and 0 < int(port[2]) < 65536):
        return None
    try:
        return remotes.canonical_url(target)
    except (SnaplabError, ValueError):
        return None


def _not_a_backend(value: str) -> Text:
    return both(
        f"backend {value!r} is not lxd or incus", f"backend {value!r}은(는) lxd나 incus가 아닙니다"
    )


def _problem(key: str, value: str) -> Text | None:
    if key == "backend" and value not in NAMES:
        return _not_a_backend(value)
    if key == "instance":
        try:
            check_name(value, "instance")
        except SnaplabError as e:
            return as_text(e.message)
    if key in ("id", "project") and not ID.match(value):
        return both(
            f"invalid {key} {value!r}: {ID_RULE.en}",
            f"{key} {value!r}은(는) 올바르지 않습니다: {ID_RULE.ko}",
        )
    return None


def load(
    path: Path,
    *,
    name: str | None = None,
    backend: str | None = None,
    instance: str = "ubuntu-test",
) -> Roster:
    if backend is not None and backend not in NAMES:
        raise SnaplabError(_not_a_backend(backend), ExitCode.USAGE)
    check_name(instance, "instance")
    if name is not None and not CLASS.match(name):
        raise SnaplabError(_bad_class(name), ExitCode.USAGE)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".yaml", ".yml"):
        raise SnaplabError(
            both(
                f"{path}: a roster is a .csv, .yaml or .yml file",
                f"{path}: 명단은 .csv, .yaml, .yml 파일이어야 합니다",
            ),
            ExitCode.USAGE,
        )
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's "CSV UTF-8" has a BOM
    except UnicodeDecodeError:
        raise SnaplabError(
            both(
                f"{path} is not UTF-8 text: save it as UTF-8 (a spreadsheet's 'CSV UTF-8')",
                f"{path}은(는) UTF-8 텍스트가 아닙니다: UTF-8로 저장하세요(스프레드시트의 "
                "'CSV UTF-8')",
            ),
            ExitCode.USAGE,
        ) from None
    except OSError as e:
        raise SnaplabError(
            both(
                f"cannot read roster {path}: {e.strerror}",
                f"명단 {path}을(를) 읽을 수 없습니다: {e.strerror}",
            ),
            ExitCode.USAGE,
        ) from None

    errors: Errors = []
    if suffix == ".csv":
        rows, meta = read_csv(text, errors), Row(1)
    else:
        rows, meta = read_yaml(text, path, errors)
    if not rows and not errors:
        raise SnaplabError(
            both(f"{path} lists no learners", f"{path}에 학습자가 없습니다"), ExitCode.USAGE
        )
    cls = name or meta.values.get("class") or path.stem
    if not CLASS.match(cls) and "class" in meta.values:
        errors.append((meta.at("class"), _bad_class(cls)))
    elif not CLASS.match(cls):  # never `name`, checked above: the file's stem
        raise SnaplabError(
            both(
                f"{path}: the file name {cls!r} is not a class name ({CLASS_RULE.en}): "
                "pass --name NAME or set class: in the YAML",
                f"{path}: 파일 이름 {cls!r}은(는) 수업 이름으로 쓸 수 없습니다"
                f"({CLASS_RULE.ko}): --name NAME을 주거나 YAML에 class:를 쓰세요",
            ),
            ExitCode.USAGE,
        )
    for key in ("backend", "instance"):
        if key in meta.values and (p := _problem(key, meta.values[key])):
            errors.append((meta.at(key), "defaults: " + p))

    learners: list[Learner] = []
    ids: dict[str, Row] = {}
    containers: dict[str, Learner] = {}
    for row in rows:
        before, v = len(errors), row.values
        errors += [
            (row.line, both(f"missing {key}", f"{key}이(가) 없습니다"))
            for key in REQUIRED
            if key not in v and key not in row.lines
        ]
        for key in ("id", "backend", "instance", "project"):
            if key in v and (p := _problem(key, v[key])):
                errors.append((row.at(key), p))
        target, url = v.get("target", "local"), None
        if target != "local" and (url := _url(target)) is None:
            errors.append(
                (
                    row.at("target"),
                    both(
                        f"target {target!r} is not accepted: {TARGET_RULE.en}",
                        f"target {target!r}은(는) 쓸 수 없습니다: {TARGET_RULE.ko}",
                    ),
                )
            )
        lid = v.get("id", "")
        first = ids.setdefault(lid.casefold(), row) if lid else row
        if first is not row:
            errors.append(
                (
                    row.at("id"),
                    both(
                        f"duplicate id {lid!r} (first on line {first.line})",
                        f"중복된 id {lid!r}입니다(처음 나온 곳: {first.line}행)",
                    ),
                )
            )
        if len(errors) > before or row.broken:
            continue
        project = v.get("project") or (f"{cls}-{lid}" if url is None else "default")
        if "project" not in v and (p := _problem("project", project)):
            errors.append(
                (
                    row.line,
                    p
                    + both(
                        " (made from the class name and id: set project)",
                        "(수업 이름과 id로 만든 값입니다: project를 지정하세요)",
                    ),
                )
            )
            continue
        kind = v.get("backend") or meta.values.get("backend") or backend or "lxd"
        box = v.get("instance") or meta.values.get("instance") or instance
        learner = Learner(lid, v["name"], kind, box, project, url, row.line)
        other = containers.setdefault(container_key(kind, url, project, box), learner)
        if other is learner:
            learners.append(learner)
        else:
            errors.append(
                (
                    row.line,
                    both(
                        f"learner {lid!r} has the same container as {other.id!r} "
                        f"(line {other.line}): {SAME_RULE.en}",
                        f"학습자 {lid!r}의 컨테이너가 {other.id!r}({other.line}행)의 것과 같습니다: "
                        f"{SAME_RULE.ko}",
                    ),
                )
            )

    if errors:
        errors.sort(key=lambda e: e[0])  # stable: each line's errors stay in the order found
        raise SnaplabError(
            both(
                f"{path} is not a valid roster ({len(errors)} errors): "
                + "; ".join(f"line {n}: {m.en}" for n, m in errors),
                f"{path}은(는) 올바른 명단이 아닙니다(오류 {len(errors)}개): "
                + "; ".join(f"{n}행: {m.ko}" for n, m in errors),
            ),
            ExitCode.USAGE,
        )
    return Roster(cls, path, tuple(learners))


def _bad_class(name: str) -> Text:
    return both(
        f"invalid class name {name!r}: {CLASS_RULE.en}",
        f"수업 이름 {name!r}은(는) 올바르지 않습니다: {CLASS_RULE.ko}",
    )
