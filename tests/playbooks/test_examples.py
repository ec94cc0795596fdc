# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module's EXAMPLES run, as written, in one order from an empty array.

The array starts with what a real one has before this collection touches it: the CPG SSD_r6, a pool LXD made
(tests/lxd_pool.py), which the examples copy from and leave as it is, and
target ports (iSCSI and NVMe/TCP, at the documentation addresses the alletra_host_attach examples
name). Each module's examples run in one ansible-playbook run, in ORDER, without their deletions
(tasks with ``state: absent``); each needs only what the examples before it made, as the comment at
the top of its EXAMPLES says. The deletions run last, in the reverse order, and leave the array as
it was. The state of the array is checked after each run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import yaml

from lxd_pool import LXD_HOST, make_lxd_pool
from outcomes import data_ids, marked_name, target_ports

MODULES = os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "modules")
ORDER = ["alletra_pool", "alletra_volume", "alletra_snapshot", "alletra_host_attach", "alletra_info"]

DATA = "u-5a2504b06a6c48498ee7ddb0b674fd14-b"
COPY = "u-0c6f1d1e8a474a399d553b0c1f6a2e11-b"
HOST01_NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10"


def documentation_ports():
    """iSCSI and NVMe/TCP target ports on both nodes at documentation addresses (RFC 5737), which the
    alletra_host_attach examples name, instead of the default seed's loopback ones."""
    return target_ports("192.0.2.11", "192.0.2.21", "cafe0")


def examples_of(module):
    with open(os.path.join(MODULES, module + ".py")) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "EXAMPLES":
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no EXAMPLES" % module)


def is_deletion(task, module):
    return task.get("alletra.storage." + module, {}).get("state") == "absent"


def snapshot_names(array, parent):
    """User-facing names of the snapshots of ``parent``, oldest first."""
    children = [volume for volume in array.volumes().values() if volume.get("copyOf") == parent]
    return [marked_name(volume) for volume in sorted(children, key=lambda volume: volume["id"])]


def exports(array):
    """(volume, host entity) of every export rule, and the host entities."""
    rules = sorted((vlun["volumeName"], vlun["hostname"]) for vlun in array.vluns() if not vlun["active"])
    return rules, sorted(host["name"] for host in array.members("/hosts"))


def after_pool(run, array, sim_admin):
    pools = array.volume_sets()
    assert sorted(pools) == ["legacy-pool", "lxd-pool", "lxdpool"]
    assert pools["lxd-pool"]["comment"] == "alletra.storage:v1 cpg=SSD_r6 naming=lxd"
    assert pools["legacy-pool"]["comment"] == "alletra.storage:v1 cpg=SSD_r6 naming=compact"
    assert run["Create a pool in CPG SSD_r6"]["pool"]["capacity"]["usable_free_mib"] > 0


def after_volume(run, array, sim_admin):
    assert sorted(array.volume_sets()["lxd-pool"]["setmembers"]) == sorted([DATA, COPY, "from-snap0", "scratch01", "backup-of-c1"])
    volumes = array.volumes()
    assert volumes[DATA]["sizeMiB"] == 20 * 1024
    assert volumes["scratch01"]["sizeMiB"] == 15 * 1024
    assert volumes[COPY]["sizeMiB"] == 20 * 1024
    assert snapshot_names(array, DATA) == ["snap0"]
    assert snapshot_names(array, COPY) == ["snap0"]
    ids = data_ids(sim_admin)
    snap0 = [name for name, volume in volumes.items() if volume.get("copyOf") == DATA][0]
    assert ids[COPY] == ids[DATA]
    assert ids["from-snap0"] == ids[snap0]
    assert run["Create a custom block volume the way LXD names it"]["volume"]["wwn"] == volumes[DATA]["wwn"]
    container = "c-5a2504b06a6c48498ee7ddb0b674fd14"
    backup = run["Copy a container out of LXD's pool lxdpool (only read), with its snapshots, into this collection's pool"]
    assert ids["backup-of-c1"] == ids[container] and len(backup["volume"]["snapshots"]) == 2


def after_snapshot(run, array, sim_admin):
    assert snapshot_names(array, DATA) == ["snap0", "before-upgrade"]
    assert snapshot_names(array, "scratch01") == ["snap0"]
    assert run["Take the next snapshot in the snap%d series"]["snapshot"]["snapshot_name"] == "snap0"
    assert run["Restore before-upgrade onto its volume (not while a host has the volume mounted)"]["task"]["status"] == 1
    upgrade = [volume for volume in array.volumes().values() if volume.get("copyOf") == DATA and marked_name(volume) == "before-upgrade"]
    assert upgrade[0]["expirationTimeSec"] > upgrade[0]["creationTimeSec"] + 13 * 24 * 3600


def after_host_attach(run, array, sim_admin):
    lxd_custom = "u-9b3f6c1d2e4a4b5c8d6e7f8091a2b3c4-b"
    assert exports(array) == ([(DATA, "host01-nvme"), (DATA, "host02-iscsi"), (lxd_custom, LXD_HOST)],
                              ["host01-nvme", "host02-iscsi", LXD_HOST])
    host02 = [host for host in array.members("/hosts") if host["name"] == "host02-iscsi"][0]
    assert [path["name"] for path in host02["iSCSIPaths"]] == ["iqn.1993-08.org.debian:01:host02"]
    export = run["Export a custom block volume to host01 over NVMe/TCP"]
    assert sorted(target["address"] for target in export["targets"]) == ["192.0.2.21", "192.0.2.22"]


def after_info(run, array, sim_admin):
    everything = run["Gather everything"]["info"]
    assert sorted(pool["name"] for pool in everything["pools"]) == ["legacy-pool", "lxd-pool"]
    assert sorted(host["name"] for host in everything["hosts"]) == ["host01-nvme", "host02-iscsi", LXD_HOST]
    assert [pool["name"] for pool in run["What LXD keeps on the array, decoded to LXD identities"]["info"]["lxd_pools"]] == ["lxdpool"]
    sizes = dict((volume["name"], volume["sizeMiB"]) for volume in array.volumes().values() if not volume.get("copyOf"))
    listed = run["Names and sizes of the volumes of one pool (needs jmespath)"]["query_result"]
    assert sorted(entry["name"] for entry in listed) == sorted(array.volume_sets()["lxd-pool"]["setmembers"])
    assert dict((entry["name"], entry["size"]) for entry in listed)["scratch01"] == "15GiB" and sizes["scratch01"] == 15 * 1024
    assert sorted(run["LXD UUIDs of the pool's custom volumes"]["query_result"]) == [
        "0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11", "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"]


AFTER = dict(alletra_pool=after_pool, alletra_volume=after_volume, alletra_snapshot=after_snapshot,
             alletra_host_attach=after_host_attach, alletra_info=after_info)


# The host-side modules (no array: they copy a volume's data on a host for migrate.yml) run their examples on
# folders and files of the test instead of mounted volumes and devices.
HOST_SIDE = ["alletra_data_copy", "alletra_data_copy_info"]


def test_every_module_has_its_examples_in_the_order():
    modules = sorted(name[:-3] for name in os.listdir(MODULES) if name.endswith(".py") and not name.startswith("_"))
    assert sorted(ORDER + HOST_SIDE) == modules and sorted(ORDER) == sorted(AFTER)


def test_the_host_side_copy_examples_run_on_folders_and_files(playbook, tmp_path):
    source, destination = tmp_path / "source", tmp_path / "destination"
    (source / "data").mkdir(parents=True)
    destination.mkdir()
    (source / "data" / "state.txt").write_text("copied by the example\n")
    (source / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    block = os.urandom(4 * 1024 * 1024)
    (tmp_path / "source.img").write_bytes(block)
    (tmp_path / "destination.img").write_bytes(bytes(len(block)))
    places = {"/mnt/migrate/source": str(source), "/mnt/migrate/destination": str(destination),
              "/var/tmp/migrate-progress.json": str(tmp_path / "progress.json"),
              "/dev/disk/by-id/nvme-eui.00000001001e84802ac0a1b2c3d4e5f6": str(tmp_path / "source.img"),
              "/dev/disk/by-id/nvme-eui.00000002002a7c1d2ac0f6e5d4c3b2a1": str(tmp_path / "destination.img")}
    text = yaml.safe_dump(examples_of("alletra_data_copy") + examples_of("alletra_data_copy_info"))
    for written, here in places.items():
        text = text.replace(written, here)
    run = playbook(yaml.safe_load(text), rerun=False)
    assert run.failures == 0, [(name, result.get("msg")) for name, result in run.results if result.get("failed")]
    assert run["Wait for the copy and its verification"]["verified"]
    assert (destination / "data" / "state.txt").read_text() == "copied by the example\n"
    assert (destination / "big.bin").read_bytes() == (source / "big.bin").read_bytes()
    assert (tmp_path / "destination.img").read_bytes() == block
    assert run["Read the copy's progress after at most 5 seconds"]["progress"]["step"] == "volume u-5a2504b06a6c48498ee7ddb0b674fd14"


def test_examples_run_in_order_from_an_empty_array(playbook, array, cpg, sim, sim_admin):
    sim_admin.config(task_seconds=0.05)
    sim_admin.seed(ports=documentation_ports())
    empty = array.snapshot()
    assert empty["volumes"] == {} and empty["volume_sets"] == {} and empty["hosts"] == []
    # LXD's pool beside ours, as LXD sets it up: the examples copy from it and leave it as it is.
    make_lxd_pool(sim, sim_admin)
    empty = array.snapshot()
    deletions = []
    for module in ORDER:
        examples = examples_of(module)
        assert examples and all(task["name"] for task in examples)
        assert any("alletra.storage." + module in task for task in examples), "%s: no example uses the module" % module
        making = [task for task in examples if not is_deletion(task, module)]
        deletions = [task for task in examples if is_deletion(task, module)] + deletions
        # The examples create and delete in turn, so a second run is not expected to be quiet.
        run = playbook(making, rerun=False)
        assert run.failures == 0, (module, [(name, result.get("msg")) for name, result in run.results if result.get("failed")])
        assert [name for name, dummy in run.results] == [task["name"] for task in making]
        AFTER[module](run, array, sim_admin)
    run = playbook(deletions, rerun=False)
    assert run.failures == 0, [(name, result.get("msg")) for name, result in run.results if result.get("failed")]
    assert [name for name, dummy in run.results] == [task["name"] for task in deletions]
    assert all(result["changed"] for dummy, result in run.results)
    assert array.snapshot() == empty
