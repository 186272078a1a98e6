"""What doctor found, as plain data; rendering lives in the command."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Status(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"  # could not be asked because an earlier check failed


@dataclass
class Finding:
    id: str
    title: str
    status: Status
    detail: str = ""
    fix: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["status"] = self.status.value
        return d


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
