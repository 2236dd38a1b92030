"""What a firmware release speaks, from its version (`core/firmware/status` →
product.product_version), read once per site.

Facts (shared/reference/opnsense-api.md): savepoints with an automatic rollback exist up to
26.1 (removed in 26.7); Unbound domain overrides up to 24.7, query forwarding from 25.1;
`moveRuleBefore` from 25.7; search rows hold raw values (and `%field` labels) from 25.7, display
labels before. fleet supports 24.7 to 26.7.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OLDEST, NEWEST = (24, 7), (26, 7)


class Unsupported(ValueError):
    pass


@dataclass(frozen=True)
class Firmware:
    version: str  # e.g. "26.7.2"

    @property
    def series(self) -> tuple[int, int]:
        match = re.match(r"^(\d+)\.(\d+)", self.version)
        if not match:
            raise Unsupported(f"not an OPNsense version: {self.version!r}")
        return int(match[1]), int(match[2])

    def check(self) -> Firmware:
        if not OLDEST <= self.series <= NEWEST:
            raise Unsupported(
                f"OPNsense {self.version} is not supported: fleet speaks 24.7 to 26.7"
            )
        return self

    @property
    def savepoints(self) -> bool:
        return self.series <= (26, 1)

    @property
    def query_forwarding(self) -> bool:
        """Unbound forwards are Query Forwarding (`*Forward`, post key dot), else domain
        overrides (`*DomainOverride`, post key domain)."""
        return self.series >= (25, 1)

    @property
    def move_rule(self) -> bool:
        return self.series >= (25, 7)

    @property
    def raw_search_rows(self) -> bool:
        return self.series >= (25, 7)

    def capabilities(self) -> dict[str, bool]:
        return {
            "savepoints": self.savepoints,
            "query_forwarding": self.query_forwarding,
            "move_rule": self.move_rule,
            "raw_search_rows": self.raw_search_rows,
        }


def from_status(status: dict) -> Firmware:
    """The firmware of a `core/firmware/status` answer."""
    product = status.get("product") if isinstance(status, dict) else None
    version = product.get("product_version") if isinstance(product, dict) else None
    if not version:
        raise Unsupported("core/firmware/status has no product.product_version")
    return Firmware(str(version)).check()
