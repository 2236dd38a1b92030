"""The simulator kinds the lab can run (placeholder until the simulator registry lands)."""

from __future__ import annotations

KINDS = {"pve": None, "opnsense": None, "opsi": None}
