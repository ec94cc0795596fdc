# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_info on a pool of 5,000 volumes: at most 3 requests per subset (login and logout aside), no
request per volume, and an answer that is complete and correct (members, sizes, snapshots and parents).

The array is seeded once per module (per xdist worker) through the simulator's control plane
(POST /_sim/seed), without data files; the module runs in-process against it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from outcomes import Array

USER = "3paradm"
PASSWORD = "scale-Pa55"
POOL = "lxd-pool"
OTHER_POOL = "other-pool"
LXD_POOL = "lxd-native"
VOLUMES = 5000
SNAPSHOT_EVERY = 5
SUBSETS = ["system", "wsapi", "cpgs", "pools", "lxd_pools", "volumes", "snapshots", "hosts", "vluns", "targets"]
NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-0000-4000-8000-00000000aaaa"
KINDS = [("container", "filesystem"), ("virtual-machine", "block"), ("custom", "block"), ("custom", "filesystem")]


def lxd_name(number, snapshot=False):
    from ansible_collections.alletra.storage.plugins.module_utils import naming

    volume_type, content_type = KINDS[number % len(KINDS)]
    return naming.volume_name(volume_type, content_type, uuid_of(number, snapshot), snapshot=snapshot)


def uuid_of(number, snapshot=False):
    return "%08d-0000-4000-8000-%012d" % (1 if snapshot else 0, number)


def size_of(number):
    return 1024 + 256 * (number % 8)


def seed_body():
    """The pool's 5,000 volumes (one snapshot every 5th; the first has two, and a snapshot of its first),
    a second pool of 3 volumes, a volume in no pool; the expected parent of each snapshot."""
    volumes, snapshots, parents = [], [], {}
    for number in range(VOLUMES):
        volumes.append({"name": lxd_name(number), "cpg": "SSD_r6", "sizeMiB": size_of(number),
                        "comment": "alletra.storage:v1 pool=%s run=seed" % POOL})
        if number % SNAPSHOT_EVERY == 0:
            snapshots.append({"name": lxd_name(number, snapshot=True), "copyOf": lxd_name(number),
                              "comment": "alletra.storage:v1 snapshot=snap0 run=seed"})
    snapshots += [{"name": "snap1-of-0", "copyOf": lxd_name(0), "comment": "alletra.storage:v1 snapshot=snap1 run=seed"},
                  {"name": "snap-of-snap0", "copyOf": lxd_name(0, snapshot=True)}]
    others = [{"name": "other-%d" % number, "cpg": "SSD_r6", "sizeMiB": 1024} for number in range(3)]
    lxds = [{"name": "c-%032x" % number, "cpg": "SSD_r6", "sizeMiB": 1024} for number in range(3)]
    loose = {"name": "loose", "cpg": "SSD_r6", "sizeMiB": 512}
    parents.update((snapshot["name"], snapshot["copyOf"]) for snapshot in snapshots)
    pools = [{"name": name, "comment": "alletra.storage:v1 cpg=SSD_r6 naming=lxd", "setmembers": [v["name"] for v in members]}
             for name, members in ((POOL, volumes), (OTHER_POOL, others))]
    pools.append({"name": LXD_POOL, "comment": "Created and managed by LXD", "setmembers": [v["name"] for v in lxds]})
    body = {"cpgs": [{"name": "SSD_r6", "capacityMiB": 64 * 1024 * 1024}],
            "volumes": volumes + others + lxds + [loose] + snapshots, "volumesets": pools}
    return body, parents


@pytest.fixture(scope="module")
def seed():
    return seed_body()


@pytest.fixture(scope="module")
def sim(sim_tls_dir, seed):
    """Overrides conftest's ``sim`` for this module (``run_module`` and ``sim_admin`` use it): one simulator,
    without data files, with the seeded pools, one host and an export from each pool."""
    import requests
    from alletra_sim import Simulator

    simulator = Simulator(host="127.0.0.1", port=0, tls_dir=sim_tls_dir, user=USER, password=PASSWORD)
    simulator.start()
    try:
        answer = requests.post(simulator.url + "/_sim/seed", json=seed[0], verify=simulator.ca_path, timeout=60)
        assert answer.status_code == 200, answer.text
        array = Array(simulator)
        array.call("POST", "/hosts", {"name": "host01-nvme", "NQN": NQN})
        for volume in (lxd_name(1), "other-0"):
            array.call("POST", "/vluns", {"volumeName": volume, "hostname": "host01-nvme", "lun": 0, "autoLun": True})
        yield simulator
    finally:
        simulator.stop()


def gather(run_module, sim_admin, **options):
    """Run alletra_info in-process; return its result and the WSAPI requests it made (by "METHOD /path")."""
    sim_admin.reset_counters()
    result = run_module("alletra_info", options)
    counters = sim_admin.counters()
    assert not result.get("failed"), result.get("msg")
    assert counters["sessions_open"] == 0 and counters["logins"] == 1 and counters["logouts"] == 1
    return result, counters["requests"]


def test_each_subset_costs_at_most_3_requests_on_5000_volumes_with_the_pool_filter(run_module, sim_admin):
    answers = {}
    for subset in SUBSETS:
        result, requests_made = gather(run_module, sim_admin, gather_subset=[subset], pool=POOL)
        reads = dict((key, count) for key, count in requests_made.items() if "/credentials" not in key)
        assert sum(reads.values()) <= 3, (subset, reads)
        # No request per object: every read is of a whole collection (or /api, /system, /wsapiconfiguration).
        assert all(key.startswith("GET ") and key.count("/") <= 3 for key in reads), (subset, reads)
        assert list(result["info"]) == [subset]
        answers[subset] = result["info"][subset]
    names = [volume["name"] for volume in answers["volumes"]]
    assert len(names) == VOLUMES and "loose" not in names and "other-0" not in names
    assert len(answers["snapshots"]) == VOLUMES // SNAPSHOT_EVERY + 2
    assert set(vlun["volume"] for vlun in answers["vluns"]) == {lxd_name(1)}
    assert [pool["name"] for pool in answers["pools"]] == [POOL] and answers["targets"] and answers["system"]["name"]
    assert answers["lxd_pools"] == []


def test_the_answer_on_5000_volumes_is_complete_and_correct(run_module, sim_admin, sim, seed):
    parents = seed[1]
    result, requests_made = gather(run_module, sim_admin, gather_subset=["pools", "lxd_pools", "volumes", "snapshots"])
    assert requests_made["GET /api/v1/volumes"] == 1 and requests_made["GET /api/v1/volumesets"] == 1
    info = result["info"]
    [lxd_pool] = info["lxd_pools"]
    assert [member["decoded"]["uuid"] for member in lxd_pool["members"]] == [
        "00000000-0000-0000-0000-%012x" % number for number in range(3)]
    pools = dict((pool["name"], pool) for pool in info["pools"])
    assert pools[POOL]["volume_count"] == VOLUMES and pools[POOL]["members"] == sorted(lxd_name(n) for n in range(VOLUMES))
    assert pools[OTHER_POOL]["members"] == ["other-0", "other-1", "other-2"]

    volumes = dict((volume["name"], volume) for volume in info["volumes"])
    assert [volume["name"] for volume in info["volumes"]] == sorted(volumes)
    assert len(volumes) == VOLUMES + 7 and (volumes["loose"]["pool"], volumes["other-1"]["pool"]) == (None, OTHER_POOL)
    for number in range(VOLUMES):
        volume = volumes[lxd_name(number)]
        assert (volume["pool"], volume["size_mib"], volume["uuid"], volume["snapshot"], volume["cpg"]) == (
            POOL, size_of(number), uuid_of(number), False, "SSD_r6"), volume
        assert (volume["volume_type"], volume["content_type"]) == KINDS[number % len(KINDS)]

    snapshots = dict((snapshot["name"], snapshot) for snapshot in info["snapshots"])
    assert len(info["snapshots"]) == len(snapshots) == len(parents) == VOLUMES // SNAPSHOT_EVERY + 2
    for name, snapshot in snapshots.items():
        assert snapshot["parent"] == parents[name] and snapshot["pool"] == POOL and snapshot["snapshot"] is True
        base = parents.get(parents[name], parents[name])
        assert snapshot["size_mib"] == volumes[base]["size_mib"]
    assert snapshots[lxd_name(5, snapshot=True)]["snapshot_name"] == "snap0"
    assert snapshots["snap-of-snap0"]["snapshot_name"] is None
    # Each parent's snapshots oldest first, a snapshot's own snapshots before it; parents by name.
    bases = [parents.get(parents[snapshot["name"]], parents[snapshot["name"]]) for snapshot in info["snapshots"]]
    assert bases == sorted(bases)
    assert [snapshot["name"] for snapshot in info["snapshots"][:3]] == ["snap-of-snap0", lxd_name(0, snapshot=True), "snap1-of-0"]

    # The facts a host matches on are the array's, for a few volumes read one by one.
    array = Array(sim)
    for name in (lxd_name(0), lxd_name(2499), lxd_name(4999), lxd_name(0, snapshot=True)):
        on_array = array.call("GET", "/volumes/" + name)
        facts = volumes.get(name) or snapshots[name]
        assert (facts["wwn"], facts["nguid"], facts["array_id"]) == (
            on_array["wwn"].upper(), on_array["nguid"].upper(), on_array["id"])
