"""fleet.yamlcache: a large YAML file is parsed once per content; edits, odd types and a
damaged cache entry all fall back to parsing the YAML."""

from __future__ import annotations

import datetime
import time

import pytest
import yaml

from fleet import yamlcache


def big_yaml(version: str = "1.0") -> str:
    rows = "".join(
        f"  product{i}: {{version: '{version}-{i}', type: localboot}}\n" for i in range(2000)
    )
    return "products:\n" + rows


@pytest.fixture
def counting():
    calls = []

    def parse(text):
        calls.append(text)
        return yaml.safe_load(text)

    return parse, calls


def test_second_read_of_the_same_text_comes_from_the_cache(tmp_path, counting):
    parse, calls = counting
    text = big_yaml()
    first = yamlcache.load(text, parse, where=tmp_path)
    second = yamlcache.load(text, parse, where=tmp_path)
    assert first == second == yaml.safe_load(text)
    assert len(calls) == 1
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_an_edit_is_a_miss_never_stale_data(tmp_path, counting):
    parse, calls = counting
    yamlcache.load(big_yaml("1.0"), parse, where=tmp_path)
    edited = yamlcache.load(big_yaml("2.0"), parse, where=tmp_path)
    assert edited["products"]["product7"]["version"] == "2.0-7"
    assert len(calls) == 2


def test_a_damaged_entry_is_parsed_again(tmp_path, counting):
    parse, calls = counting
    text = big_yaml()
    yamlcache.load(text, parse, where=tmp_path)
    (entry,) = tmp_path.glob("*.json")
    entry.write_text('{"products": {"trunc')
    assert yamlcache.load(text, parse, where=tmp_path) == yaml.safe_load(text)
    assert len(calls) == 2


def test_data_json_would_change_is_not_cached(tmp_path, counting):
    parse, calls = counting
    text = big_yaml() + "released: 2026-12-01\n1: numeric key\n"
    for _ in range(2):
        data = yamlcache.load(text, parse, where=tmp_path)
        assert data["released"] == datetime.date(2026, 12, 1)
        assert data[1] == "numeric key"
    assert len(calls) == 2
    assert not list(tmp_path.iterdir())


def test_small_files_are_parsed_directly(tmp_path, counting):
    parse, calls = counting
    yamlcache.load("a: 1\n", parse, where=tmp_path)
    yamlcache.load("a: 1\n", parse, where=tmp_path)
    assert len(calls) == 2
    assert not list(tmp_path.iterdir())


def test_a_yaml_error_propagates_and_caches_nothing(tmp_path):
    text = big_yaml() + "broken: [unclosed\n"
    with pytest.raises(yaml.YAMLError):
        yamlcache.load(text, yaml.safe_load, where=tmp_path)
    assert not list(tmp_path.iterdir())


def test_only_the_most_recently_used_entries_are_kept(tmp_path, counting, monkeypatch):
    parse, calls = counting
    monkeypatch.setattr(yamlcache, "KEEP", 3)
    texts = [big_yaml(f"{n}.0") for n in range(5)]

    def load(text):
        time.sleep(0.02)  # past the kernel's coarse file timestamps: a clear use order
        return yamlcache.load(text, parse, where=tmp_path)

    load(texts[0])
    for text in texts[1:]:
        load(text)
        load(texts[0])  # in use all along: kept
    assert len(list(tmp_path.glob("*.json"))) == 3
    assert len(calls) == 5  # the first text was parsed once
    calls.clear()
    for text in (texts[0], texts[4], texts[3]):  # the kept ones are hits
        load(text)
    assert calls == []
    load(texts[1])  # pruned: parsed again
    assert calls == [texts[1]]
