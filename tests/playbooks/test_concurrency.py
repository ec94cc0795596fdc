# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Concurrent runs through ansible-playbook (issue 13): inventory hosts run one task at once with
forks 10, each scenario once; tests/unit/plugins/modules/test_races_in_process.py repeats each in
rounds, in-process.

The first reads of the contended objects are answered late (with what the array held when asked),
so the runs act on the same state, and a poller of the simulator's open sessions proves that the
module runs overlapped: no test here passes by running serially.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import pytest

from ansible_collections.alletra.storage.plugins.module_utils.pools import pool_comment
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import PERSONA_GENERIC_ALUA
from outcomes import marked_name

POOL = "conc-pool"
HOSTS = 10
FORKS = ["--forks", str(HOSTS)]
# Milliseconds the runs' first reads are answered late: more than the spread of their starts.
LATE_MS = 3000


def nqn(number):
    return "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-%012d" % number


def inventory(host_vars):
    """An inventory of the hosts named in ``host_vars`` (name: vars), all run on this machine."""
    return {"all": {"hosts": host_vars, "vars": {"ansible_connection": "local"}}}


class SessionPeak(object):
    """While a play runs, polls the simulator's open WSAPI sessions (its own connection to /_sim/counters):
    ``peak`` is the most open at once."""

    def __init__(self, sim):
        self.sim = sim
        self.peak = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.poll)

    def poll(self):
        import requests

        with requests.Session() as http:
            while not self.done.wait(0.25):
                counters = http.get(self.sim.url + "/_sim/counters", timeout=10, verify=self.sim.ca_path).json()
                self.peak = max(self.peak, counters["sessions_open"])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.done.set()
        self.thread.join()


def play_at_once(playbook, sim, tasks, host_vars):
    """Run ``tasks`` (named) on every host of ``host_vars`` at once (forks 10); all must succeed. Returns the Run."""
    with SessionPeak(sim) as sessions:
        run = playbook(tasks, inventory=inventory(host_vars), play_options={"hosts": "all"}, extra_args=FORKS, rerun=False)
    failures = [result.get("msg") for host in host_vars for dummy, result in run.host(host).results if result.get("failed")]
    assert run.rc == 0 and not failures, failures
    assert sessions.peak >= 2, "the runs did not overlap"
    return run


def results(run, task, hosts):
    """The result of ``task`` on each of ``hosts``, in order."""
    return [run.host(host)[task] for host in hosts]


@pytest.fixture
def pool(array, cpg):
    """An empty pool, made through the WSAPI as alletra_pool makes it."""
    array.call("POST", "/volumesets", {"name": POOL, "comment": pool_comment(cpg, "lxd")})
    return POOL


def add_volumes(array, names):
    with array.client() as client:
        for name in names:
            client.request("POST", "/volumes", {"name": name, "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
            client.request("PUT", "/volumesets/" + POOL, {"action": 1, "setmembers": [name]})


def exports(array):
    """The LUN of each export rule, by (volume, host entity)."""
    return dict(((vlun["volumeName"], vlun.get("hostname")), vlun["lun"]) for vlun in array.vluns() if not vlun.get("active"))


def attach_task(state, host_name="{{ inventory_hostname }}"):
    return {"name": "attach", "alletra.storage.alletra_host_attach": dict(
        pool=POOL, name="{{ volume }}", host_name=host_name, nqn="{{ nqn }}", connect=False, state=state)}


def test_ten_hosts_attach_at_once_then_detach_at_once(playbook, sim, array, sim_admin, pool):
    add_volumes(array, ["vol%d" % number for number in range(HOSTS)])
    host_vars = dict(("host%02d" % number, dict(nqn=nqn(number), volume="vol%d" % number)) for number in range(HOSTS))
    for state in ("present", "absent"):
        # Every run's first look for its host entity is answered late: each acts on an array the others have not
        # changed yet. An attach reads the hosts; a detach finds its entity on a live path of its volume's vLUNs.
        sim_admin.faults(method="GET", path="/api/v1/hosts" if state == "present" else "/api/v1/vluns", late_ms=LATE_MS, count=HOSTS)
        attached = results(play_at_once(playbook, sim, [attach_task(state)], host_vars), "attach", host_vars)
        assert all(result["changed"] for result in attached)
        entities = dict((host["name"], host["NVMETCPPaths"][0]["NQN"]) for host in array.members("/hosts"))
        if state == "present":
            assert entities == dict(("%s-nvme" % host, host_vars[host]["nqn"]) for host in host_vars)
            assert exports(array) == dict(((host_vars[host]["volume"], result["host_entity"]), result["lun"])
                                          for host, result in zip(host_vars, attached))
        else:
            assert entities == {} and exports(array) == {}


def test_a_last_detach_racing_an_attach_for_the_same_host_leaves_the_entity_with_its_export(playbook, sim, array, sim_admin, pool):
    add_volumes(array, ["vol1", "vol2"])
    array.call("POST", "/hosts", {"name": "racer-nvme", "NQN": nqn(99), "persona": PERSONA_GENERIC_ALUA})
    array.call("POST", "/vluns", {"volumeName": "vol1", "hostname": "racer-nvme", "lun": 0, "autoLun": True, "maxAutoLun": 0})
    # Two inventory hosts are the one host: one detaches its last volume, the other attaches another.
    host_vars = {"detach": dict(nqn=nqn(99), volume="vol1", attach_state="absent"),
                 "attach": dict(nqn=nqn(99), volume="vol2", attach_state="present")}
    # Both runs' first look for the entity is late: the attach reads the hosts, the detach the vLUNs of vol1.
    sim_admin.faults(method="GET", path="/api/v1/hosts", late_ms=LATE_MS, count=1)
    sim_admin.faults(method="GET", path="/api/v1/vluns", late_ms=LATE_MS, count=2)
    detached, attached = results(play_at_once(playbook, sim, [attach_task("{{ attach_state }}", "racer")], host_vars), "attach", host_vars)
    assert detached["changed"] and attached["changed"] and attached["host_entity"] == "racer-nvme"
    # The entity exists exactly when it has export rules: here the attach's.
    assert [host["name"] for host in array.members("/hosts")] == ["racer-nvme"]
    assert list(exports(array)) == [("vol2", "racer-nvme")]


def test_five_runs_snapshot_one_volume_with_a_pattern_and_create_one_volume(playbook, sim, array, sim_admin, pool):
    add_volumes(array, ["base"])
    # Every run's first read of a volume and its snapshots (one query) is answered late, in both tasks: they all
    # pick snap0 for base and collide, and they all find shared missing and all create it.
    sim_admin.faults(method="GET", path="/api/v1/volumes", late_ms=LATE_MS, count=10)
    tasks = [{"name": "snapshot", "alletra.storage.alletra_snapshot": dict(pool=POOL, volume="base", pattern="snap%d")},
             {"name": "create", "alletra.storage.alletra_volume": dict(pool=POOL, name="shared", size="1GiB")}]
    hosts = ["host%d" % number for number in range(5)]
    run = play_at_once(playbook, sim, tasks, dict((host, {}) for host in hosts))
    requests = sim_admin.counters()["requests"]
    assert requests["POST /api/v1/volumes/base"] > 5, "no snapshot name collided"
    assert requests["POST /api/v1/volumes"] >= 2, "no create raced another"
    snapshots = results(run, "snapshot", hosts)
    names = sorted(result["snapshot"]["snapshot_name"] for result in snapshots)
    assert all(result["changed"] for result in snapshots) and names == ["snap%d" % number for number in range(5)]
    assert sorted(marked_name(volume) for volume in array.volumes().values() if volume.get("copyOf") == "base") == names
    assert any(result["changed"] for result in results(run, "create", hosts))
    assert sorted(name for name, volume in array.volumes().items() if not volume.get("copyOf")) == ["base", "shared"]
    assert sorted(array.volume_sets()[POOL]["setmembers"]) == ["base", "shared"]
