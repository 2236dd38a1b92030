"""`catalogue update` from the master over JSON-RPC (the simulator): the listing is one
productOnDepot_getObjects call, only packages whose version differs are downloaded, a new
firefox on the master is one upgrade, a package whose bytes are not a package is refused."""

from __future__ import annotations

import pytest

from fleet.errors import BadInput
from fleet.lab.sim.opsi import master as sim_master
from fleet.opsi import package
from fleet.opsi import update as updatemod


def publish(client, product_id: str, version: str, pkg: str, data: bytes | None = None) -> bytes:
    base, deps, props = next(
        v for k, v in sim_master._index().items() if k.startswith(f"{product_id}_")
    )
    data = data or package.build(
        {**base, "productVersion": version, "packageVersion": pkg},
        [{**d, "productVersion": version, "packageVersion": pkg} for d in deps],
        props,
    )
    name = package.file_name(product_id, f"{version}-{pkg}")
    client.put_file(name, data)
    client.call("depot_installPackage", f"/var/lib/opsi/repository/{name}")
    return data


def test_a_new_firefox_on_the_master_is_one_upgrade(opsi, lab_catalogue):
    master = opsi.master
    new = publish(master, "firefox", "2024.9", "1")
    source = updatemod.MasterSource(opsi.master)
    entries, changes = updatemod.collect(source, lab_catalogue.lock, None)
    assert [c.to_dict() for c in changes] == [
        {"product": "firefox", "change": "upgrade", "from": "2024.8-3", "to": "2024.9-1"}
    ]
    assert entries["firefox"].sha256 == package.sha256(new)
    # one listing call, one download (only the product whose version moved)
    assert source.client.calls.methods == [
        "host_getObjects", "productOnDepot_getObjects", "GET firefox_2024.9-1.opsi",
    ]  # fmt: skip


def test_a_master_package_that_is_not_a_package_is_refused(opsi, lab_catalogue):
    master = opsi.master
    # a package whose control file is fine but which the master then serves corrupted
    publish(master, "vlc", "123.0", "1")
    master.put_file("vlc_123.0-1.opsi", b"corrupted" * 50)
    with pytest.raises(BadInput, match="vlc_123.0-1.opsi: malformed .opsi package"):
        updatemod.collect(updatemod.MasterSource(opsi.master), lab_catalogue.lock, ["vlc"])
