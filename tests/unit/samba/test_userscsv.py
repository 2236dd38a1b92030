"""The administration's user export: accepted shapes and every refusal, with line numbers."""

from __future__ import annotations

from fleet.samba.userscsv import parse_users_csv

CLASSES = ["2NDE1", "2NDE2", "TSTMG1"]
GOOD = (
    "login;prenom;nom;profil;classe\n"
    "jdupont;Jean;Dupont;eleve;2NDE1\n"
    "mlefevre;Marie;Lefèvre;enseignant;\n"
    "agarcia;Ana;García;personnel;\n"
)


def problems(data: bytes, **kwargs) -> list[tuple[int, str, str]]:
    return parse_users_csv(data, CLASSES, **kwargs).problems


def test_utf8_file_is_parsed_and_encoding_reported():
    parsed = parse_users_csv(GOOD.encode("utf-8"), CLASSES)
    assert parsed.ok
    assert parsed.encoding == "utf-8"
    assert parsed.delimiter == ";"
    assert [u.login for u in parsed.users] == ["jdupont", "mlefevre", "agarcia"]
    assert parsed.users[1].last_name == "Lefèvre"
    assert parsed.users[0].classe == "2NDE1"
    assert parsed.users[1].classe == ""  # teachers are not placed by class


def test_latin1_export_is_decoded_as_cp1252_and_said_so():
    parsed = parse_users_csv(GOOD.encode("cp1252"), CLASSES)
    assert parsed.ok
    assert parsed.encoding == "cp1252"
    assert parsed.users[1].last_name == "Lefèvre"
    assert parsed.users[2].last_name == "García"


def test_utf8_bom_comma_delimiter_english_headers_and_case():
    data = "\ufeffLogin,First Name,Last Name,Role,Class\nJDupont,Jean,Dupont,Élève,2nde1\n".encode()
    parsed = parse_users_csv(data, CLASSES)
    assert parsed.ok, parsed.problems
    user = parsed.users[0]
    assert (user.login, user.profile, user.classe) == ("jdupont", "eleve", "2NDE1")


def test_duplicate_login_names_both_lines_and_refuses_whole_file():
    data = (GOOD + "JDUPONT;Jules;Dupont;eleve;2NDE2\n").encode()
    parsed = parse_users_csv(data, CLASSES)
    assert parsed.users == []  # nothing half-applied
    assert parsed.problems == [(5, "login", "login 'jdupont' is already used on line 2")]


def test_unknown_class_is_refused_with_line_and_known_classes():
    data = GOOD.replace("2NDE1", "2NDE9").encode()
    [(line, column, message)] = problems(data)
    assert (line, column) == (2, "class")
    assert "'2NDE9'" in message and "2NDE1, 2NDE2, TSTMG1" in message


def test_student_without_class_is_refused():
    data = GOOD.replace("eleve;2NDE1", "eleve;").encode()
    assert problems(data) == [(2, "class", "a user with profile 'eleve' needs a class")]


def test_missing_columns_are_listed_with_what_was_found():
    data = b"login;prenom;classe\njdupont;Jean;2NDE1\n"
    [(line, column, message)] = problems(data)
    assert (line, column) == (1, "header")
    assert (
        "last_name" in message
        and "profile" in message
        and "found: login, prenom, classe" in message
    )


def test_row_with_wrong_field_count_names_its_line():
    data = (GOOD + "pmartin;Paul;Martin\n").encode()
    [(line, _, message)] = problems(data)
    assert line == 5 and "3 fields where the header has 5" in message


def test_utf16_export_is_refused():
    [(line, column, message)] = problems(GOOD.encode("utf-16"))
    assert (line, column) == (0, "encoding")
    assert "UTF-16" in message


def test_forced_utf8_on_latin1_file_names_the_line_of_the_bad_byte():
    [(line, column, message)] = problems(GOOD.encode("latin-1"), encoding="utf-8")
    assert (line, column) == (3, "encoding")
    assert "0xe8" in message


def test_double_encoded_utf8_is_refused():
    data = GOOD.encode("utf-8").decode("latin-1").encode("utf-8")
    found = problems(data)
    assert [line for line, _, _ in found] == [3, 4]
    assert all("double-encoded" in message for _, _, message in found)


def test_bad_login_reserved_login_empty_name_and_unknown_profile_are_all_reported():
    data = (
        "login;prenom;nom;profil;classe\n"
        "j dupont;Jean;Dupont;eleve;2NDE1\n"
        "administrator;Admin;Istrator;personnel;\n"
        "pmartin;;Martin;enseignant;\n"
        "lroux;Léa;Roux;parent;\n"
    ).encode()
    found = {(line, column) for line, column, _ in problems(data)}
    assert found == {(2, "login"), (3, "login"), (4, "first_name"), (5, "profile")}


def test_header_only_file_is_refused_so_nobody_becomes_a_leaver():
    [(_, _, message)] = problems(b"login;prenom;nom;profil;classe\n")
    assert "no user rows" in message


def test_empty_file_is_refused():
    [(_, _, message)] = problems(b"")
    assert "empty" in message
