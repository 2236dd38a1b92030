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


def _classes(value) -> set[type]:
    """The classes of every object in a loaded registry value (models, enums, …)."""
    from pydantic import BaseModel

    found = {type(value)}
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            found |= _classes(getattr(value, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            found |= _classes(key) | _classes(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            found |= _classes(item)
    return found


def test_the_cache_is_stamped_with_every_module_its_objects_come_from(registry_dir):
    """Every fleet module defining a class of a cached object is in the stamp (the Proxmox
    models' module once was not: a new field there unpickled objects of the old shape)."""
    import pickle

    from fleet.registry.cache import ParseCache

    registry, _ = read_registry(registry_dir)
    objects = [registry.region, *registry.sites.values()]
    modules = {cls.__module__ for value in objects for cls in _classes(value)}
    with open(ParseCache(registry_dir).path, "rb") as handle:
        _, stamp = pickle.load(handle)
    fleet_modules = {m for m in modules if m.startswith("fleet.")}
    assert "fleet.registry.proxmox" in fleet_modules
    assert fleet_modules <= set(stamp)
    # and the code that validated them: a changed rule must not serve an old verdict
    assert {"fleet.registry.load", "fleet.registry.uai", "fleet.opnsense.kinds"} <= set(stamp)


def test_an_edit_of_a_module_the_cache_depends_on_is_a_miss(registry_dir, monkeypatch):
    from fleet.registry import cache

    read_registry(registry_dir)
    assert cache.ParseCache(registry_dir).entries  # warm
    real = cache._source_digest
    monkeypatch.setattr(
        cache,
        "_source_digest",
        lambda module: "edited" if module == "fleet.registry.proxmox" else real(module),
    )
    assert cache.ParseCache(registry_dir).entries == {}
    registry, problems = read_registry(registry_dir)  # parsed again, cached again
    assert registry is not None and not problems
    assert cache.ParseCache(registry_dir).entries
