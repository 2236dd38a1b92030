"""Parse and validate the user export a school administration sends (one CSV per site).

Standard library only, no fleet imports: the same file is shipped to the DC as the Ansible
module_utils `fleet_samba_userscsv` (plugins/module_utils/fleet_samba_userscsv.py is a symlink
to it), so `fleet` on the controller and the sync module on the DC accept exactly the same files.

The whole file is refused when any row is bad: callers get every problem with its line number
and apply nothing. Exports come as UTF-8 or as Windows Latin-1 (cp1252); the encoding that was
used is reported so an operator can tell a mis-detected file.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

# Canonical column -> accepted header spellings (compared lower-case, accents and spaces removed).
COLUMNS = {
    "login": ("login", "identifiant", "uid", "username"),
    "first_name": ("first_name", "firstname", "prenom"),
    "last_name": ("last_name", "lastname", "surname", "nom"),
    "profile": ("profile", "profil", "role"),
    "class": ("class", "classe", "division"),
}
REQUIRED = ("login", "first_name", "last_name", "profile")
DEFAULT_PROFILES = ("eleve", "enseignant", "personnel")
DEFAULT_CLASS_PROFILES = ("eleve",)
RESERVED_LOGINS = {"administrator", "administrateur", "guest", "invite", "krbtgt"}
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,19}$")  # sAMAccountName holds at most 20
NAME_MAX = 64
ENCODINGS = ("auto", "utf-8", "cp1252", "latin-1")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DOUBLE_UTF8 = re.compile("[\u00c2\u00c3][\u0080-\u00bf]")  # "Ã©": UTF-8 read as Latin-1 once


@dataclass(frozen=True)
class UserRow:
    line: int
    login: str
    first_name: str
    last_name: str
    profile: str
    classe: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class ParsedCsv:
    users: list[UserRow] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    # (line or 0 for the whole file, column, message)
    problems: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def normalise(text: str) -> str:
    """Lower-case, accents removed, spaces and dashes as '_': 'Prénom' -> 'prenom'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s-]+", "_", plain)


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str, list[tuple[int, str, str]]]:
    """Return (text, encoding used, problems). 'auto' tries UTF-8 then cp1252 then Latin-1."""
    if encoding not in ENCODINGS:
        return (
            "",
            "",
            [(0, "encoding", f"unknown encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")],
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        return (
            "",
            "",
            [
                (
                    0,
                    "encoding",
                    "the file is UTF-16 or binary (it holds NUL bytes); export it as CSV in UTF-8 or Latin-1",
                )
            ],
        )
    tries = ("utf-8", "cp1252", "latin-1") if encoding == "auto" else (encoding,)
    for name in tries:
        try:
            text = data.decode("utf-8-sig" if name == "utf-8" else name)
        except UnicodeDecodeError as exc:
            if encoding != "auto":
                line = data[: exc.start].count(b"\n") + 1
                return (
                    "",
                    "",
                    [
                        (
                            line,
                            "encoding",
                            f"byte 0x{data[exc.start]:02x} is not valid {name}; is the file in another encoding?",
                        )
                    ],
                )
            continue
        return text, name, []
    return "", "", [(0, "encoding", "the file could not be decoded")]  # latin-1 never fails


def parse_users_csv(
    data: bytes,
    classes: list[str] | None = None,
    profiles: tuple[str, ...] | list[str] = DEFAULT_PROFILES,
    class_profiles: tuple[str, ...] | list[str] = DEFAULT_CLASS_PROFILES,
    encoding: str = "auto",
) -> ParsedCsv:
    """Parse the export; `classes` None accepts any class, else a class must be one of them."""
    result = ParsedCsv()
    text, result.encoding, problems = decode(data, encoding)
    if problems:
        result.problems = problems
        return result
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        result.problems.append(
            (0, "", "the file is empty; expected a header line with " + ", ".join(REQUIRED))
        )
        return result
    header_line = lines[first]
    result.delimiter = max(";,\t", key=header_line.count)
    # Keep physical line numbers: the reader counts lines across quoted newlines.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=result.delimiter)
    header: list[str] | None = None
    columns: dict[str, int] = {}
    known_classes = None if classes is None else {c: c for c in classes}
    class_lookup = None if classes is None else {c.upper(): c for c in classes}
    profiles = tuple(profiles)
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [normalise(cell) for cell in row]
            columns = _map_columns(header, result.problems)
            if result.problems:
                return result
            continue
        _check_text(row, line, result.problems)
        if len(row) != len(header):
            result.problems.append(
                (
                    line,
                    "",
                    f"{len(row)} fields where the header has {len(header)} (delimiter {result.delimiter!r})",
                )
            )
            continue
        values = {name: row[index].strip() for name, index in columns.items()}
        user = _check_row(
            values, line, profiles, class_profiles, known_classes, class_lookup, result.problems
        )
        if user is None:
            continue
        if user.login in seen:
            result.problems.append(
                (line, "login", f"login {user.login!r} is already used on line {seen[user.login]}")
            )
            continue
        seen[user.login] = line
        result.users.append(user)
    if header is not None and not result.users and not result.problems:
        result.problems.append(
            (
                0,
                "",
                "the file has a header but no user rows; refusing to treat every user as a leaver",
            )
        )
    if result.problems:
        result.users = []
    return result


def _map_columns(header: list[str], problems: list) -> dict[str, int]:
    columns: dict[str, int] = {}
    for name, spellings in COLUMNS.items():
        for index, cell in enumerate(header):
            if cell in spellings:
                if name in columns:
                    problems.append((1, name, f"column {name!r} appears twice in the header"))
                columns[name] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        wanted = "; ".join(f"{m} (one of: {', '.join(COLUMNS[m])})" for m in missing)
        problems.append((1, "header", f"missing column(s): {wanted}; found: {', '.join(header)}"))
    return columns


def _check_text(row: list[str], line: int, problems: list) -> None:
    joined = "".join(row)
    if _CONTROL.search(joined):
        problems.append(
            (line, "", "control characters in the row; is the file in the wrong encoding?")
        )
    elif _DOUBLE_UTF8.search(joined):
        problems.append(
            (
                line,
                "",
                "text looks double-encoded (e.g. 'Ã©' for 'é'); re-export the file in UTF-8 or Latin-1",
            )
        )


def _check_row(
    values, line, profiles, class_profiles, known_classes, class_lookup, problems
) -> UserRow | None:
    before = len(problems)
    login = values["login"].lower()
    if not LOGIN_RE.match(login) or login.endswith("."):
        problems.append(
            (
                line,
                "login",
                f"login {values['login']!r} is invalid: 1-20 of a-z 0-9 . _ - starting with a letter or digit",
            )
        )
    elif login in RESERVED_LOGINS:
        problems.append((line, "login", f"login {login!r} is reserved"))
    for name in ("first_name", "last_name"):
        if not values[name]:
            problems.append((line, name, f"{name.replace('_', ' ')} is empty"))
        elif len(values[name]) > NAME_MAX:
            problems.append(
                (line, name, f"{name.replace('_', ' ')} is longer than {NAME_MAX} characters")
            )
    profile = normalise(values["profile"])
    if profile not in profiles:
        problems.append(
            (line, "profile", f"profile {values['profile']!r} is not one of {', '.join(profiles)}")
        )
    classe = values.get("class", "")
    if profile in class_profiles:
        if not classe:
            problems.append((line, "class", f"a user with profile {profile!r} needs a class"))
        elif class_lookup is not None:
            if classe.upper() not in class_lookup:
                shown = ", ".join(sorted(known_classes)) or "(none configured)"
                problems.append(
                    (line, "class", f"unknown class {classe!r}; the site's classes are: {shown}")
                )
            else:
                classe = class_lookup[classe.upper()]
    else:
        classe = ""  # only students are placed by class
    if len(problems) > before:
        return None
    return UserRow(line, login, values["first_name"], values["last_name"], profile, classe)
