"""Errors come out as one JSON document however `--output json` was spelled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleet.cli.context import wants_json
from fleet.cli.main import main

LAB = str(Path(__file__).resolve().parents[2] / "inventories" / "lab")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--output", "json", "validate"], True),
        (["--output=json", "validate"], True),
        (["-o", "json", "validate"], True),
        (["-ojson", "validate"], True),
        (["--output", "text", "sites", "show", "json"], False),
        (["sites", "show", "json"], False),
        (["deploy", "--", "--output=json"], False),
    ],
)
def test_every_spelling_of_json_output_is_recognised(args, expected):
    assert wants_json(args) is expected


@pytest.mark.parametrize("spelling", [["--output", "json"], ["--output=json"], ["-ojson"]])
def test_an_unknown_site_is_a_json_error_with_exit_3(spelling, capsys):
    code = main([*spelling, "--registry", LAB, "plan", "0999999Z"])
    out, err = capsys.readouterr()
    assert code == 3
    doc = json.loads(out)
    assert doc["exit_code"] == 3 and "unknown site '0999999Z'" in doc["message"]
    assert "error: unknown site" in err


@pytest.mark.parametrize("spelling", [["--output", "json"], ["--output=json"]])
def test_a_usage_error_is_a_json_error_with_exit_3_too(spelling, capsys):
    code = main([*spelling, "deploy", "--no-such-option"])
    out, err = capsys.readouterr()
    assert code == 3
    doc = json.loads(out)
    assert doc["exit_code"] == 3 and "no-such-option" in doc["message"]
    assert "no-such-option" in err
