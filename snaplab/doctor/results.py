"""What doctor found, as plain data; rendering lives in the command.

Titles, details and fixes are `Text`: the report is read in either language, the
JSON is English (what scripts and `make bench` read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from snaplab.i18n import Text, as_text


class Status(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"  # could not be asked because an earlier check failed


@dataclass
class Finding:
    id: str
    title: Text
    status: Status
    detail: Text = Text("", "")
    fix: Text = Text("", "")

    def __post_init__(self) -> None:
        # a plain str reads the same in both languages (tests, a command as the fix)
        self.title, self.detail, self.fix = map(as_text, (self.title, self.detail, self.fix))

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title.en,
            "status": self.status.value,
            "detail": self.detail.en,
            "fix": self.fix.en,
        }


@dataclass
class Report:
    backend: str
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, dict[str, float]] = field(default_factory=dict)  # "lab", "sized"

    @property
    def fit(self) -> bool:
        return not any(f.status in (Status.FAIL, Status.SKIP) for f in self.findings)

    def to_dict(self) -> dict:
        return {
            "backend": self.backend,
            "fit": self.fit,
            "seconds": round(self.seconds, 2),
            "checks": [f.to_dict() for f in self.findings],
            "timings": self.timings,
        }
