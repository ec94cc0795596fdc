# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the collection's tests check: play results, clean failures, the array's state, data identity, marks;
and the simulator's control plane (SimAdmin; the ``sim_admin`` fixture of tests/conftest.py).

Shared by tests/unit/plugins/modules (in-process plays) and tests/playbooks (ansible-playbook).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket


class PlayResults(object):
    """Per-task results and stats of one play, however it ran: ``results`` holds (task name, result)."""

    results = ()
    stats = {}

    def __getitem__(self, name):
        """The result of the task called ``name``."""
        matches = [result for task_name, result in self.results if task_name == name]
        assert matches, "no task %r in %s" % (name, [entry[0] for entry in self.results])
        return matches[-1]

    @property
    def changed(self):
        return self.stats.get("changed", 0)

    @property
    def failures(self):
        return self.stats.get("failures", 0)

    def module_results(self):
        """Results of the tasks that ran a module of this collection."""
        return [(name, result) for name, result in self.results if result.get("invocation") or result.get("msg") or "changed" in result]


def assert_clean_failure(result, *words):
    """A failed task whose message names what went wrong, with no traceback."""
    assert result.get("failed"), "task did not fail: %r" % (result,)
    message = result.get("msg", "")
    for word in words:
        assert word in message, "%r not in message %r" % (word, message)
    # ansible-core 2.19 marks every failed result with exception "(traceback unavailable)" when
    # tracebacks are off; a module that crashed instead of failing says "Module failed: ...".
    assert result.get("exception") in (None, "(traceback unavailable)"), "task leaked exception: %r" % (result.get("exception"),)
    for key in ("module_stderr", "module_stdout"):
        assert not result.get(key), "task leaked %s: %r" % (key, result.get(key))
    assert "Module failed" not in message, "the module crashed: %r" % (message,)
    assert "Traceback" not in json.dumps(result)


def assert_array_unchanged(before, after):
    """The simulator's whole state (``sim_admin.state()``) is as it was: every collection compared
    object by object (by name where it is keyed by name), so a failure says which object changed."""
    assert sorted(before) == sorted(after), "state sections changed: %s -> %s" % (sorted(before), sorted(after))
    for section in sorted(before):
        old, new = before[section], after[section]
        if isinstance(old, dict) and isinstance(new, dict):
            assert sorted(old) == sorted(new), "%s: added %s, removed %s" % (
                section, sorted(set(new) - set(old)), sorted(set(old) - set(new)))
            for name in sorted(old):
                assert old[name] == new[name], "%s %r changed: %r -> %r" % (section, name, old[name], new[name])
        else:
            assert old == new, "%s changed: %r -> %r" % (section, old, new)


def free_port():
    """A local TCP port that nothing listens on (an unreachable array)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SimAdmin(object):
    """The simulator's control plane (docs/design.md): JSON in, JSON out, no session key."""

    def __init__(self, sim):
        import requests

        self.base = sim.url + "/_sim"
        self.ca_path = sim.ca_path
        self.http = requests.Session()

    def _call(self, method, path, body=None):
        # verify per request: a Session-level verify loses to REQUESTS_CA_BUNDLE in the environment.
        answer = self.http.request(method, self.base + path, json=body, timeout=10, verify=self.ca_path)
        assert answer.ok, "%s /_sim%s -> %s %s" % (method, path, answer.status_code, answer.text)
        return answer.json() if answer.content else None

    def state(self):
        """Every object, with internal fields (volume dataId, sessions)."""
        return self._call("GET", "/state")

    def counters(self):
        """Request counts by "METHOD /path", logins, logouts, sessions_open, ..."""
        return self._call("GET", "/counters")

    def reset_counters(self):
        return self._call("POST", "/counters/reset")

    def reset(self, persona=None):
        """Back to an empty array with the default seed; counters zeroed."""
        return self._call("POST", "/reset", {"persona": persona} if persona else {})

    def seed(self, objects=None, **kwargs):
        """Add or replace seed objects: seed({"cpgs": [{"name": "SSD_r6", "capacityMiB": n}]})."""
        return self._call("POST", "/seed", dict(objects or {}, **kwargs))

    def faults(self, fault=None, **kwargs):
        """Arm one fault: faults({"expire_sessions": True}), faults(method=..., path=..., count=..., status=...)."""
        return self._call("POST", "/faults", dict(fault or {}, **kwargs))

    def armed_faults(self):
        """The faults that have not struck yet."""
        return self._call("GET", "/faults")["faults"]

    def clear_faults(self):
        return self._call("DELETE", "/faults")

    def config(self, settings=None, **kwargs):
        """Change session_idle_timeout, session_limit or task_seconds live."""
        return self._call("POST", "/config", dict(settings or {}, **kwargs))

    def write(self, volume, used_mib=None):
        """Simulate host writes to a volume: it gets a new dataId."""
        return self._call("POST", "/volumes/%s/write" % volume, {} if used_mib is None else {"usedMiB": used_mib})

    def close(self):
        self.http.close()


class Array(object):
    """Reads (and, for test set-up, changes) the simulated array through the WSAPI itself."""

    def __init__(self, sim):
        self.sim = sim

    def client(self):
        from ansible_collections.alletra.storage.plugins.module_utils.wsapi import WsapiClient
        return WsapiClient(self.sim.url, self.sim.user, self.sim.password, ca_path=self.sim.ca_path, timeout=10)

    def call(self, method, path, body=None, query=None):
        with self.client() as client:
            return client.request(method, path, body, query=query)

    def members(self, path, query=None):
        with self.client() as client:
            return client.members(path, query=query)

    def volumes(self):
        return dict((volume["name"], volume) for volume in self.members("/volumes"))

    def volume_sets(self):
        return dict((volume_set["name"], volume_set) for volume_set in self.members("/volumesets"))

    def vluns(self):
        return self.members("/vluns")

    def snapshot(self):
        """Everything a test compares to prove that nothing changed."""
        return dict(volumes=self.volumes(), volume_sets=self.volume_sets(), hosts=self.members("/hosts"), vluns=self.vluns())


def data_ids(sim_admin):
    """The simulator's data identity of every volume, by name."""
    return dict((name, volume["dataId"]) for name, volume in sim_admin.state()["volumes"].items())


def marked_name(volume):
    """The user-facing snapshot name in a volume's comment (``alletra.storage:v1 snapshot=snap0 run=...``)."""
    words = (volume.get("comment") or "").split()
    assert words and words[0] == "alletra.storage:v1", "not marked by alletra.storage: %r" % (volume.get("comment"),)
    return dict(word.partition("=")[::2] for word in words[1:]).get("snapshot")


def volume_with_snapshots(array, sim_admin, count, uuid, pool="lxd-pool"):
    """A 1GiB volume (LXD-named from ``uuid``) in ``pool`` with ``count`` snapshots snap0.., each holding different data.

    Made through the WSAPI directly, as alletra_volume and alletra_snapshot would make them.
    """
    name = "u-%s-b" % uuid.replace("-", "")
    array.call("POST", "/volumes", {"name": name, "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
    array.call("PUT", "/volumesets/" + pool, {"action": 1, "setmembers": [name]})
    for number in range(count):
        sim_admin.write(name)
        array.call("POST", "/volumes/" + name, {"action": "createSnapshot", "parameters": {
            "name": "%s-snap%d" % (name[:20], number), "readOnly": number % 2 == 0,
            "comment": "alletra.storage:v1 snapshot=snap%d" % number}})
    sim_admin.write(name)
    return name


def target_ports(iscsi_address, nvme_address, iqn_tail):
    """Ready iSCSI and NVMe/TCP target ports on nodes 0 and 1, for ``seed(ports=...)``: node 0 at the addresses
    given, node 1 at the next ones (last octet plus one); the iSCSI names end in ``iqn_tail``."""
    def address(first, node):
        head, last = first.rsplit(".", 1)
        return "%s.%d" % (head, int(last) + node)

    ports = []
    for node in (0, 1):
        ports.append(dict(portPos=dict(node=node, slot=2, cardPort=1), mode=2, linkState=4, type=8, protocol=2,
                          IPAddr=address(iscsi_address, node), iSCSIName="iqn.2000-05.com.3pardata:2%d210002ac0%s" % (node, iqn_tail)))
        ports.append(dict(portPos=dict(node=node, slot=3, cardPort=1), mode=2, linkState=4, type=1, protocol=6,
                          IPAddr=address(nvme_address, node), nodeWWN=address(nvme_address, node)))
    return ports
