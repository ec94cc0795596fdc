# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Concurrent runs in-process (issue 13): module runs in forked processes, released together behind a
barrier, each calling the module's main() against the test's one in-process simulator; several rounds,
the array checked after each.

The simulator's latency and late answers widen the race windows, and every round asserts that the
runs overlapped (requests of different sessions in flight at once) and, where runs compete for one
object, that more than one of them tried to create it: no test here passes by running serially.
tests/playbooks/test_concurrency.py runs each scenario once through ansible-playbook with forks 10.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import multiprocessing
import threading
import time

import pytest

from conftest import MODULES, connection_args, run_in_process
from outcomes import marked_name

# Minutes of rounds: `make test` runs these, `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

POOL = "race-pool"
ROUNDS = 5
HOSTS = 10
# Seconds a racer waits at most for the others, and for its own result.
RACE_TIMEOUT = 120
# Milliseconds the racers' first reads are answered late (with what the array held when asked): longer
# than the spread of their starts, so every racer reads before any of them writes.
LATE_MS = 500
# The same for the detach and attach of one host: long enough for the other racer's whole run.
SHAPE_LATE_MS = 1000
SESSION_HEADER = "X-HP3PAR-WSAPI-SessionKey"


def nqn(number):
    return "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-%012d" % number


class Overlap(object):
    """Wraps the simulator's request entry point to see which sessions had requests in flight at once."""

    def __init__(self, sim):
        self.lock = threading.Lock()
        self.requests = []
        handle = sim.handle

        def timed(method, raw_path, raw_query, headers, body_bytes, client):
            start = time.monotonic()
            try:
                return handle(method, raw_path, raw_query, headers, body_bytes, client)
            finally:
                with self.lock:
                    self.requests.append((start, time.monotonic(), headers.get(SESSION_HEADER), method, raw_path))

        sim.handle = timed

    def reset(self):
        with self.lock:
            del self.requests[:]

    def peak(self, method=None, path=None):
        """The most sessions that had a request (of ``method`` on ``path``, when given) in flight at one time."""
        with self.lock:
            spans = [(start, end, session) for start, end, session, verb, where in self.requests
                     if session and method in (None, verb) and path in (None, where)]
        return max([len(set(session for start, end, session in spans if start <= moment < end))
                    for moment, dummy_end, dummy_session in spans] or [0])


@pytest.fixture
def overlap(sim):
    return Overlap(sim)


def serve(index, inbox, barrier, gate, results):
    """One racer, in a forked process: each round, wait for the others (and the gate, when told to),
    then run the module task; until told to stop (None)."""
    for name, args, gated in iter(inbox.get, None):
        try:
            barrier.wait(RACE_TIMEOUT)
            if gated:
                gate.wait(RACE_TIMEOUT)
            result = run_in_process(name, args)
        except Exception as err:
            result = dict(failed=True, msg="racer %d crashed: %r" % (index, err))
        results.put((index, result))


class Racers(object):
    """Forked processes, each running one module task a round, all released at once by a barrier."""

    def __init__(self, sim, count, modules):
        context = multiprocessing.get_context("fork")
        for name in modules:
            importlib.import_module(MODULES + name)  # imported once, before the fork
        self.connection = connection_args(sim)
        self.barrier, self.gate, self.results = context.Barrier(count), context.Event(), context.Queue()
        self.inboxes = [context.Queue() for dummy in range(count)]
        self.processes = [context.Process(target=serve, args=(index, inbox, self.barrier, self.gate, self.results))
                          for index, inbox in enumerate(self.inboxes)]
        for process in self.processes:
            process.start()

    def race(self, tasks, gated=(), release=None):
        """One round: racer i runs ``tasks[i]`` ((module, args)); return their results, in order.

        Racers whose index is in ``gated`` also wait until ``release()`` (called here, in the test's
        process, once the round has started) returns.
        """
        self.gate.clear()
        for index, (inbox, (name, args)) in enumerate(zip(self.inboxes, tasks)):
            inbox.put((name, dict(self.connection, **args), index in gated))
        if release is not None:
            release()
        self.gate.set()
        results = dict(self.results.get(timeout=RACE_TIMEOUT) for dummy in tasks)
        return [results[index] for index in range(len(tasks))]

    def close(self):
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(RACE_TIMEOUT)
            if process.is_alive():
                process.kill()


@pytest.fixture
def racers(sim):
    """``racers(count, *modules)``: Racers against the test's simulator, stopped after the test."""
    started = []

    def start(count, *modules):
        started.append(Racers(sim, count, modules))
        return started[-1]

    yield start
    for each in started:
        each.close()


def when_struck(sim_admin):
    """A release() that returns once every armed fault has struck."""

    def release():
        deadline = time.monotonic() + RACE_TIMEOUT
        while sim_admin.armed_faults():
            assert time.monotonic() < deadline, "the race fault never struck"
            time.sleep(0.02)

    return release


def succeeded(results):
    """The racers' results, asserted to have succeeded."""
    failures = [result.get("msg") for result in results if result.get("failed")]
    assert not failures, failures
    return results


@pytest.fixture
def pool(run_module, cpg):
    assert run_module("alletra_pool", dict(name=POOL, cpg=cpg))["changed"]
    return POOL


def hosts(array):
    return dict((host["name"], host) for host in array.members("/hosts"))


def rules(array):
    """The export rules (templates) as (volume, host), sorted."""
    return sorted((vlun["volumeName"], vlun.get("hostname")) for vlun in array.vluns() if not vlun.get("active"))


def luns(array):
    """The LUN of each export rule, by (volume, host)."""
    return dict(((vlun["volumeName"], vlun.get("hostname")), vlun["lun"]) for vlun in array.vluns() if not vlun.get("active"))


# -- (e) snapshots with a pattern on one volume ------------------------------------------------

def test_parallel_pattern_snapshots_get_distinct_names_and_none_is_lost(run_module, pool, array, sim_admin, overlap, racers):
    assert run_module("alletra_volume", dict(pool=pool, name="vol", size="1GiB"))["changed"]
    task = ("alletra_snapshot", dict(pool=pool, volume="vol", pattern="snap%d"))
    snapshotters = racers(HOSTS, "alletra_snapshot")
    made = []
    for number in range(ROUNDS):
        sim_admin.reset_counters()
        overlap.reset()
        # Every list of the volume's snapshots is answered late, with what the array held when asked:
        # the racers all pick the same next number and collide, and so would every list read again
        # after a collision.
        sim_admin.faults(method="GET", path="/api/v1/volumes", late_ms=LATE_MS, count=HOSTS * HOSTS)
        results = succeeded(snapshotters.race([task] * HOSTS))
        sim_admin.clear_faults()
        assert overlap.peak("GET", "/api/v1/volumes") >= 2, "round %d: the racers did not overlap" % number
        assert sim_admin.counters()["requests"]["POST /api/v1/volumes/vol"] > HOSTS, "round %d: no name collided" % number
        names = [result["snapshot"]["snapshot_name"] for result in results]
        assert all(result["changed"] for result in results) and len(set(names)) == HOSTS
        made += names
        snapshots = [volume for volume in array.volumes().values() if volume.get("copyOf") == "vol"]
        assert sorted(marked_name(volume) for volume in snapshots) == sorted(made) == sorted(
            "snap%d" % index for index in range(len(made))), "round %d" % number
    assert sim_admin.counters()["sessions_open"] == 0


# -- (a), (b) ten hosts attach volumes of one pool at once, then detach at once ------------------

def attach_args(number, state="present"):
    return dict(pool=POOL, name="vol%d" % number, host_name="host%02d" % number, nqn=nqn(number), connect=False, state=state)


def test_ten_hosts_attach_at_once_then_detach_at_once(pool, array, sim_admin, overlap, racers):
    with array.client() as client:
        for number in range(HOSTS):
            client.request("POST", "/volumes", {"name": "vol%d" % number, "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
            client.request("PUT", "/volumesets/" + pool, {"action": 1, "setmembers": ["vol%d" % number]})
    entities = dict(("host%02d-nvme" % number, nqn(number)) for number in range(HOSTS))
    hosts_at_once = racers(HOSTS, "alletra_host_attach")
    for number in range(ROUNDS):
        for state in ("present", "absent"):
            overlap.reset()
            # Every racer's first look for its host entity is answered late, with what the array held
            # when asked: each racer acts on an array that the others have not changed yet. An attach
            # reads the hosts; a detach finds its entity on a live path of its volume's vLUNs.
            first_look = "/api/v1/hosts" if state == "present" else "/api/v1/vluns"
            sim_admin.faults(method="GET", path=first_look, late_ms=LATE_MS, count=HOSTS)
            results = succeeded(hosts_at_once.race([("alletra_host_attach", attach_args(host, state)) for host in range(HOSTS)]))
            assert overlap.peak("GET", first_look) >= 2, "round %d, %s: the racers did not overlap" % (number, state)
            assert all(result["changed"] for result in results)
            if state == "present":
                assert [result["host_entity"] for result in results] == sorted(entities)
                assert dict((name, host["NVMETCPPaths"][0]["NQN"]) for name, host in hosts(array).items()) == entities
                exported = dict((("vol%d" % host, result["host_entity"]), result["lun"]) for host, result in enumerate(results))
                assert luns(array) == exported, "round %d" % number
            else:
                assert all(result["host_entity"] is None for result in results)
                assert hosts(array) == {} and rules(array) == [], "round %d" % number
    assert sim_admin.counters()["sessions_open"] == 0


# -- (c) a host's last detach races an attach of another volume for the same host -----------------

RACER = dict(pool=POOL, host_name="racer", nqn=nqn(99), connect=False)
# How the two runs interleave in each round: the attach reads the host entity and the detach then
# deletes it before the attach exports to it; the detach reads that the entity's last export goes and
# the attach then exports to it before the detach deletes it; or both run freely, every request late.
SHAPES = ("attach reads first", "detach reads first", "free")


def arrange(shape, sim_admin):
    """Arm the simulator for ``shape``: which racer waits (0 the detach, 1 the attach) until the other's late read has struck."""
    if shape == "attach reads first":
        sim_admin.faults(method="GET", path="/api/v1/hosts", late_ms=SHAPE_LATE_MS, count=1)
        return (0,)
    if shape == "detach reads first":
        # The detach's second list of vLUNs: the entity's exports, which it deletes the entity after.
        sim_admin.faults(method="GET", path="/api/v1/vluns", skip=1, late_ms=SHAPE_LATE_MS, count=1)
        return (1,)
    sim_admin.faults(latency_ms=20)
    return ()


def test_a_last_detach_racing_an_attach_for_the_same_host_leaves_the_entity_exactly_when_it_has_exports(
        run_module, pool, array, sim_admin, overlap, racers):
    for name in ("vol1", "vol2"):
        assert run_module("alletra_volume", dict(pool=pool, name=name, size="1GiB"))["changed"]
    detach, attach = dict(RACER, name="vol1", state="absent"), dict(RACER, name="vol2")
    pair = racers(2, "alletra_host_attach")
    for number in range(2 * len(SHAPES)):
        shape = SHAPES[number % len(SHAPES)]
        assert run_module("alletra_host_attach", dict(RACER, name="vol1"))["changed"]
        sim_admin.reset_counters()
        overlap.reset()
        gated = arrange(shape, sim_admin)
        results = pair.race([("alletra_host_attach", detach), ("alletra_host_attach", attach)], gated, when_struck(sim_admin))
        sim_admin.clear_faults()
        detached, attached = succeeded(results)
        assert overlap.peak() >= 2, "round %d (%s): the racers did not overlap" % (number, shape)
        requests = sim_admin.counters()["requests"]
        if shape == "attach reads first":
            # The entity the attach read was deleted under it: it made the entity again.
            assert requests["DELETE /api/v1/hosts/racer-nvme"] == 1 and requests["POST /api/v1/hosts"] == 1
            assert detached["host_entity"] is None
        if shape == "detach reads first":
            # The entity got an export after the detach read its last: the array kept it (409/26).
            assert requests["DELETE /api/v1/hosts/racer-nvme"] == 1 and "POST /api/v1/hosts" not in requests
            assert detached["host_entity"] == "racer-nvme"
        assert attached["changed"] and attached["host_entity"] == "racer-nvme"
        assert sorted(hosts(array)) == ["racer-nvme"] and rules(array) == [("vol2", "racer-nvme")], "round %d (%s)" % (number, shape)
        # Run again, both converge with no change.
        for args in (detach, attach):
            again = run_module("alletra_host_attach", args)
            assert not again.get("failed") and not again["changed"], (shape, again)
        assert run_module("alletra_host_attach", dict(attach, state="absent"))["host_entity"] is None
        assert hosts(array) == {} and rules(array) == []
    assert sim_admin.counters()["sessions_open"] == 0


# -- (d) five runs create the same volume ----------------------------------------------------------

def test_five_runs_creating_one_volume_make_it_once_and_all_succeed(pool, array, sim_admin, overlap, racers):
    creators = racers(5, "alletra_volume")
    for number in range(ROUNDS):
        name = "same%d" % number
        sim_admin.reset_counters()
        overlap.reset()
        # Every racer's first read of the volume (one query of it and its snapshots) is answered late,
        # with what the array held when asked: they all find it missing and all send the create.
        sim_admin.faults(method="GET", path="/api/v1/volumes", late_ms=LATE_MS, count=5)
        task = ("alletra_volume", dict(pool=pool, name=name, size="1GiB"))
        results = succeeded(creators.race([task] * 5))
        assert overlap.peak("GET", "/api/v1/volumes") >= 2, "round %d: the racers did not overlap" % number
        assert sim_admin.counters()["requests"]["POST /api/v1/volumes"] >= 2, "round %d: no create raced another" % number
        assert any(result["changed"] for result in results)
        assert all(result["volume"]["size_mib"] == 1024 for result in results)
        volumes = array.volumes()
        assert sorted(volumes) == ["same%d" % index for index in range(number + 1)]
        assert sorted(array.volume_sets()[pool]["setmembers"]) == sorted(volumes)
    assert sim_admin.counters()["sessions_open"] == 0
