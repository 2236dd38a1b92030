"""The parse cache never serves an old parse for an edited file."""

from fleet.registry import read_registry

from .conftest import edit, first_site


def test_same_size_edit_right_after_a_load_is_seen(registry_dir):
    registry, problems = read_registry(registry_dir)
    assert registry is not None and not problems
    # Same length, same instant: an mtime/size key could miss this edit.
    edit(first_site(registry_dir), "state: active", "state: closed")
    registry, problems = read_registry(registry_dir)
    assert registry is None
    assert any(p.field == "state" for p in problems)
    edit(first_site(registry_dir), "state: closed", "state: active")
    registry, problems = read_registry(registry_dir)
    assert registry is not None and not problems


def test_corrupt_cache_is_a_miss(registry_dir):
    from fleet.registry.cache import ParseCache

    read_registry(registry_dir)
    cache_file = ParseCache(registry_dir).path
    cache_file.write_bytes(b"not a pickle")
    registry, problems = read_registry(registry_dir)
    assert registry is not None and not problems
