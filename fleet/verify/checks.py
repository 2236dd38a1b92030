"""One acceptance check and its outcome."""

from __future__ import annotations

from dataclasses import asdict, dataclass

PASSED, FAILED, PENDING, ERROR = "passed", "failed", "pending", "error"


@dataclass
class Check:
    name: str  # e.g. "base: test_sshd_is_hardened[dc1.…]" or "opnsense api: fw1 reachable"
    component: str
    source: str  # the testinfra module (molecule/<s>/tests/test_x.py) or "api"
    status: str  # PASSED | FAILED | PENDING | ERROR
    evidence: str = ""  # what was seen: the assertion that failed, the value read
    host: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def failing(self) -> bool:
        return self.status in (FAILED, ERROR)
