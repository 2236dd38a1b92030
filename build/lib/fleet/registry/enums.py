"""The registry's closed vocabularies, without pydantic: the CLI builds its choices from them
at start-up, so `fleet sites list --help` never imports the models."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    lycee = "lycee"
    lycee_pro = "lycee_pro"
    lycee_agricole = "lycee_agricole"
    ef2s = "ef2s"
    college = "college"
    cfa = "cfa"


class Owner(StrEnum):
    region = "region"
    cd18 = "cd18"
    cfa = "cfa"


class State(StrEnum):
    onboarding = "onboarding"
    active = "active"
    decommissioned = "decommissioned"


class SwitchPlatform(StrEnum):
    hp_procurve = "hp_procurve"
    aruba_aoscx = "aruba_aoscx"
    cisco_ios = "cisco_ios"
