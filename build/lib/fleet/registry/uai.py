"""UAI: the national establishment code, 7 digits + a check letter.

The letter is "ABCDEFGHJKLMNPRSTUVWXYZ"[int(digits) % 23] (I, O, Q never used); the first three
digits are "0" + the department.
"""

from __future__ import annotations

import re

LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_FORMAT = re.compile(r"^[0-9]{7}[A-Z]$")


class UaiError(ValueError):
    """A UAI that is malformed, has the wrong letter or the wrong department."""


def check_letter(digits: str) -> str:
    return LETTERS[int(digits) % 23]


def make_uai(department: int, number: int) -> str:
    """Build a valid UAI from a department (e.g. 45) and a 4-digit serial."""
    digits = f"0{department:02d}{number:04d}"
    if len(digits) != 7:
        raise UaiError(f"department {department} / serial {number} do not fit in 7 digits")
    return digits + check_letter(digits)


def department_of(uai: str) -> int:
    return int(uai[1:3])


def check_uai(uai: str, departments: list[int] | None = None) -> str:
    """Return the UAI if valid, else raise UaiError saying what would be valid."""
    if not isinstance(uai, str) or not _FORMAT.match(uai):
        raise UaiError(
            f"{uai!r} is not a UAI: expected 7 digits and an upper-case check letter, e.g. 0450050K"
        )
    digits, letter = uai[:7], uai[7]
    expected = check_letter(digits)
    if letter != expected:
        raise UaiError(f"{uai} has check letter {letter}; the expected letter is {expected}")
    if digits[0] != "0":
        raise UaiError(f"{uai} must start with 0 followed by the department (e.g. 045…)")
    if departments is not None and department_of(uai) not in departments:
        allowed = ", ".join(f"0{d:02d}" for d in sorted(departments))
        raise UaiError(
            f"{uai} starts with 0{department_of(uai):02d}, not a department of this region "
            f"(valid prefixes: {allowed})"
        )
    return uai
