# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_host_attach in-process: the array side (connect: false) against the simulator, and the
host side's seam with a fake connector."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys
import types

import pytest

from outcomes import assert_clean_failure

POOL = "lxd-pool"
NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10"
OTHER_NQN = "nqn.2014-08.org.nvmexpress:uuid:0d7c3b1a-98e2-4f6d-a1c4-7e2b9f0a5c33"
IQN = "iqn.1993-08.org.debian:01:host01"
NVME = dict(pool=POOL, name="vol1", host_name="host01", nqn=NQN, connect=False)
ISCSI = dict(pool=POOL, name="vol1", host_name="host01", iqn=IQN, connect=False)
CONNECTOR = "ansible_collections.alletra.storage.plugins.module_utils.connector"


def attach_task(options, task_name="attach"):
    return {"name": task_name, "alletra.storage.alletra_host_attach": options}


@pytest.fixture
def volumes(run_module, cpg):
    """Pool lxd-pool with volumes vol1 and vol2 (1 GiB each)."""
    assert run_module("alletra_pool", dict(name=POOL, cpg=cpg))["changed"]
    for name in ("vol1", "vol2"):
        assert run_module("alletra_volume", dict(pool=POOL, name=name, size="1GiB"))["changed"]
    return POOL


def hosts(array):
    return dict((host["name"], host) for host in array.members("/hosts"))


def rules(array, volume=None):
    """The export rules (templates) as (volume, lun, host), sorted."""
    return sorted((vlun["volumeName"], vlun["lun"], vlun.get("hostname")) for vlun in array.vluns()
                  if not vlun.get("active") and volume in (None, vlun["volumeName"]))


def add_host(array, name, **paths):
    array.call("POST", "/hosts", dict(name=name, **paths))


def test_first_attach_over_nvme_creates_host01_nvme_and_is_idempotent(play, array, volumes, sim_admin):
    run = play([attach_task(NVME)], diff=True)
    result = run["attach"]
    assert result["changed"] and result["host_entity"] == "host01-nvme" and result["mode"] == "nvme"
    assert result["lun"] >= 1 and result["device"] is None and result["by_id"] is None
    subsystem = sim_admin.state()["subsystemNQN"]
    assert result["targets"] == [dict(address="127.0.0.21", port=4420, qualified_name=subsystem),
                                 dict(address="127.0.0.22", port=4420, qualified_name=subsystem)]
    assert result["diff"] == dict(before=dict(host_entity=None, lun=None, exported=False, device=None),
                                  after=dict(host_entity="host01-nvme", lun=result["lun"], exported=True, device=None))
    entity = hosts(array)["host01-nvme"]
    assert [path["NQN"] for path in entity["NVMETCPPaths"]] == [NQN] and entity["persona"] == 2
    assert rules(array) == [("vol1", result["lun"], "host01-nvme")]


def test_first_attach_over_iscsi_creates_host01_iscsi(play, array, volumes):
    result = play([attach_task(ISCSI)])["attach"]
    assert (result["host_entity"], result["mode"]) == ("host01-iscsi", "iscsi")
    assert [(t["address"], t["port"]) for t in result["targets"]] == [("127.0.0.11", 3260), ("127.0.0.12", 3260)]
    assert [t["qualified_name"] for t in result["targets"]] == ["iqn.2000-05.com.3pardata:20210002ac0cafe0",
                                                                "iqn.2000-05.com.3pardata:21210002ac0cafe0"]
    assert [path["name"] for path in hosts(array)["host01-iscsi"]["iSCSIPaths"]] == [IQN]
    assert rules(array) == [("vol1", result["lun"], "host01-iscsi")]


def test_an_lxd_entity_with_our_nqn_is_used_as_it_is(play, array, volumes):
    add_host(array, "host01-nvme-tcp", NQN=NQN.upper().replace("NQN.", "nqn."))
    result = play([attach_task(NVME)])["attach"]
    assert result["host_entity"] == "host01-nvme-tcp"
    assert sorted(hosts(array)) == ["host01-nvme-tcp"]
    assert rules(array) == [("vol1", result["lun"], "host01-nvme-tcp")]


def test_a_same_named_entity_with_another_nqn_is_refused_and_left_alone(run_module, array, volumes):
    add_host(array, "host01-nvme", NQN=OTHER_NQN)
    before = array.snapshot()
    refused = run_module("alletra_host_attach", NVME)
    assert_clean_failure(refused, "host01-nvme", OTHER_NQN, NQN, "left alone")
    detached = run_module("alletra_host_attach", dict(NVME, state="absent"))
    assert not detached.get("failed") and not detached["changed"] and detached["host_entity"] is None
    assert array.snapshot() == before


def test_the_export_rule_is_found_among_several_and_kept(run_module, array, volumes):
    add_host(array, "host02-nvme", NQN=OTHER_NQN)
    add_host(array, "host01-nvme", NQN=NQN)
    array.call("POST", "/vluns", dict(volumeName="vol1", hostname="host02-nvme", lun=1))
    array.call("POST", "/vluns", dict(volumeName="vol1", hostname="host01-nvme", lun=7))
    result = run_module("alletra_host_attach", dict(NVME, shared=True))
    assert not result["changed"] and result["lun"] == 7
    assert rules(array) == [("vol1", 1, "host02-nvme"), ("vol1", 7, "host01-nvme")]


def test_a_second_export_of_a_shared_volume_gets_its_own_lun_once(run_module, array, volumes):
    add_host(array, "host02-nvme", NQN=OTHER_NQN)
    array.call("POST", "/vluns", dict(volumeName="vol1", hostname="host02-nvme", lun=1))
    first = run_module("alletra_host_attach", dict(NVME, shared=True))
    again = run_module("alletra_host_attach", dict(NVME, shared=True))
    assert first["changed"] and not again["changed"] and again["lun"] == first["lun"]
    assert rules(array) == sorted([("vol1", 1, "host02-nvme"), ("vol1", first["lun"], "host01-nvme")])


def test_shared_false_refuses_a_volume_exported_to_another_host_naming_it(run_module, array, volumes):
    add_host(array, "host02-iscsi", iSCSINames=["iqn.1993-08.org.debian:01:host02"])
    array.call("POST", "/vluns", dict(volumeName="vol1", hostname="host02-iscsi", lun=3))
    before = array.snapshot()
    refused = run_module("alletra_host_attach", NVME)
    assert_clean_failure(refused, "host02-iscsi", "shared: true")
    assert array.snapshot() == before
    assert run_module("alletra_host_attach", dict(NVME, shared=True))["changed"]


def test_shared_false_counts_an_export_of_the_whole_pool(run_module, array, volumes):
    add_host(array, "host02-nvme", NQN=OTHER_NQN)
    array.call("POST", "/vluns", {"volumeName": "set:" + POOL, "hostname": "host02-nvme", "autoLun": True, "lun": 0})
    assert_clean_failure(run_module("alletra_host_attach", NVME), "host02-nvme")


def test_targets_keep_only_the_addresses_asked_for(run_module, volumes):
    result = run_module("alletra_host_attach", dict(NVME, targets=["127.0.0.22"]))
    assert [t["address"] for t in result["targets"]] == ["127.0.0.22"]
    missing = run_module("alletra_host_attach", dict(NVME, targets=["192.0.2.7"]))
    assert_clean_failure(missing, "192.0.2.7", "127.0.0.21, 127.0.0.22")


def test_mode_defaults_to_nvme_first_then_iscsi(run_module, sim_admin, volumes):
    both = dict(NVME, iqn=IQN)
    assert run_module("alletra_host_attach", both)["mode"] == "nvme"
    offline = [dict(port, linkState=10) for port in sim_admin.state()["ports"] if port["protocol"] == 6]
    sim_admin.seed(ports=offline)
    result = run_module("alletra_host_attach", dict(both, name="vol2", shared=True))
    assert (result["mode"], result["host_entity"]) == ("iscsi", "host01-iscsi")


def test_no_ready_port_of_the_mode_is_refused_before_any_change(run_module, array, sim_admin, volumes):
    sim_admin.seed(ports=[dict(port, linkState=10) for port in sim_admin.state()["ports"] if port["protocol"] == 2])
    before = array.snapshot()
    assert_clean_failure(run_module("alletra_host_attach", ISCSI), "no ready iscsi target port")
    assert array.snapshot() == before


def test_absent_keeps_the_entity_while_it_has_exports_and_deletes_it_after_the_last(play, array, volumes):
    play([attach_task(NVME, "vol1"), attach_task(dict(NVME, name="vol2"), "vol2")])
    first = play([attach_task(dict(NVME, state="absent"), "detach vol1")], diff=True)["detach vol1"]
    assert first["changed"] and first["host_entity"] == "host01-nvme"
    assert first["diff"]["after"] == dict(host_entity="host01-nvme", lun=None, exported=False, device=None)
    assert sorted(hosts(array)) == ["host01-nvme"] and [rule[0] for rule in rules(array)] == ["vol2"]
    last = play([attach_task(dict(NVME, name="vol2", state="absent"), "detach vol2")])["detach vol2"]
    assert last["changed"] and last["host_entity"] is None
    assert hosts(array) == {} and rules(array) == []


def test_absent_finishes_an_entity_left_without_exports(run_module, array, volumes):
    add_host(array, "host01-nvme", NQN=NQN)
    result = run_module("alletra_host_attach", dict(NVME, state="absent"))
    assert result["changed"] and hosts(array) == {}


def test_absent_never_removes_other_hosts_exports(run_module, array, volumes):
    add_host(array, "host02-nvme", NQN=OTHER_NQN)
    array.call("POST", "/vluns", dict(volumeName="vol1", hostname="host02-nvme", lun=2))
    assert run_module("alletra_host_attach", dict(NVME, shared=True))["changed"]
    assert run_module("alletra_host_attach", dict(NVME, state="absent"))["changed"]
    assert rules(array) == [("vol1", 2, "host02-nvme")] and sorted(hosts(array)) == ["host02-nvme"]


@pytest.mark.parametrize("state", ["present", "absent"])
def test_check_mode_changes_nothing(run_module, array, volumes, state):
    if state == "absent":
        assert run_module("alletra_host_attach", NVME)["changed"]
    before = array.snapshot()
    checked = run_module("alletra_host_attach", dict(NVME, state=state), check=True)
    assert checked["changed"] and not checked.get("failed")
    assert array.snapshot() == before
    if state == "present":
        assert checked["host_entity"] == "host01-nvme" and checked["lun"] is None
        assert checked["targets"][0]["qualified_name"] is None
        assert checked["diff"]["after"] == dict(host_entity="host01-nvme", lun=None, exported=True, device=None)


@pytest.mark.parametrize("fault", [dict(lose_answer=True), dict(late_ms=1500)])
@pytest.mark.parametrize("path", ["/api/v1/hosts", "/api/v1/vluns"])
def test_a_lost_answer_to_a_create_is_settled_by_reading_back(run_module, array, sim_admin, volumes, path, fault):
    sim_admin.faults(dict(fault, method="POST", path=path))
    result = run_module("alletra_host_attach", dict(NVME, timeout=1))
    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert not sim_admin.armed_faults()
    assert sorted(hosts(array)) == ["host01-nvme"] and rules(array) == [("vol1", result["lun"], "host01-nvme")]
    assert sim_admin.counters()["requests"]["POST " + path] == 1


@pytest.mark.parametrize("lost_create", [False, True])
def test_a_failure_after_the_host_entity_was_created_deletes_it(run_module, array, sim_admin, volumes, lost_create):
    if lost_create:
        sim_admin.faults(method="POST", path="/api/v1/hosts", lose_answer=True)
    sim_admin.faults(method="POST", path="/api/v1/vluns", status=500, code=1)
    failed = run_module("alletra_host_attach", NVME)
    assert_clean_failure(failed, "export vol1 to host01-nvme", "deleted again", "host entity host01-nvme")
    assert failed["failed_step"] == "export vol1 to host01-nvme"
    assert hosts(array) == {} and rules(array) == []


def test_a_failure_keeps_an_entity_this_run_did_not_create(run_module, array, sim_admin, volumes):
    add_host(array, "host01-nvme", NQN=NQN)
    sim_admin.faults(method="POST", path="/api/v1/vluns", status=500, code=1)
    assert_clean_failure(run_module("alletra_host_attach", NVME), "this run created nothing")
    assert sorted(hosts(array)) == ["host01-nvme"]


@pytest.mark.parametrize("args, words", [
    (dict(NVME, targets=["10.0.0.1:4420"]), ["targets", "10.0.0.1:4420", "bare IP"]),
    (dict(NVME, targets=["array.example.com"]), ["targets", "array.example.com"]),
    (dict(NVME, host_name="a-very-long-host-name-of-27c"), ["host_name", "a-very-long-host-name-of-27c-nvme", "31"]),
    (dict(ISCSI, host_name="host-name-with-26-chars-xy"), ["host_name", "host-name-with-26-chars-xy-iscsi", "25"]),
    (dict(NVME, host_name="bad/name"), ["host_name", "bad/name"]),
    (dict(NVME, nqn="host01"), ["nqn", "host01", "nqn.<yyyy-mm>"]),
    (dict(ISCSI, iqn="iqn.host01"), ["iqn", "iqn.host01"]),
    (dict(NVME, mode="iscsi"), ["nqn", "mode iscsi"]),
    (dict(ISCSI, mode="nvme/tcp"), ["iqn", "mode nvme"]),
    (dict(NVME, nqn=None), ["connect: false", "nqn", "iqn"]),
    (dict(NVME, device_timeout=0), ["device_timeout"]),
    (dict(NVME, pool="bad pool"), ["pool"]),
    (dict(NVME, name="../vol"), ["name"]),
])
def test_bad_inputs_fail_before_any_request(run_module, sim_admin, args, words):
    sim_admin.reset_counters()
    assert_clean_failure(run_module("alletra_host_attach", args), *words)
    assert sim_admin.counters()["requests_total"] == 0


def test_host_name_defaults_to_the_short_host_name(run_module, monkeypatch, sim_admin, volumes):
    import socket

    monkeypatch.setattr(socket, "gethostname", lambda: "lab01.rack4.example.com")
    args = dict(NVME)
    del args["host_name"]
    assert run_module("alletra_host_attach", args)["host_entity"] == "lab01-nvme"
    monkeypatch.setattr(socket, "gethostname", lambda: "a-host-name-far-too-long-for-it.example.com")
    sim_admin.reset_counters()
    assert_clean_failure(run_module("alletra_host_attach", dict(args, name="vol2")), "host_name", "a-host-name-far-too-long-for-it-nvme")
    assert sim_admin.counters()["requests_total"] == 0


def test_the_volume_must_be_in_the_pool(run_module, volumes):
    assert_clean_failure(run_module("alletra_host_attach", dict(NVME, name="vol9")), "no volume 'vol9'", "alletra_volume")


# -- the host side (connect: true) through its seam, with a fake connector ------------------------------

class FakeConnectorError(Exception):
    pass


class FakeConnector(object):
    """Records the calls of the contract in docs/design.md; ``fail`` names a method that raises."""

    def __init__(self, mode, calls, fail=None, users=()):
        self.mode, self.calls, self.fail, self.in_use = mode, calls, fail, list(users)
        self.connected = False

    def _call(self, name, *args):
        self.calls.append((name,) + args)
        if name == self.fail:
            raise FakeConnectorError("%s failed on this host" % name)

    def check_support(self):
        self._call("check_support")

    def initiator(self):
        self._call("initiator")
        return NQN if self.mode == "nvme" else IQN

    def connect(self, targets, initiator):
        self._call("connect", tuple(t["address"] for t in targets), initiator)
        self.connected = True

    def find_device(self, nguid=None, wwn=None, wait=True):
        self._call("find_device", nguid or wwn, wait)
        return dict(device="/dev/nvme1n1", by_id="/dev/disk/by-id/nvme-eui." + nguid) if self.connected else None

    def users(self, device):
        self._call("users", device)
        return self.in_use

    def remove_device(self, device):
        self._call("remove_device", device)

    def disconnect(self, qualified_name):
        self._call("disconnect", qualified_name)


@pytest.fixture
def connector(monkeypatch):
    """Installs a fake module_utils.connector; returns (calls, settings) to arrange and inspect it."""
    from ansible_collections.alletra.storage.plugins.module_utils import __name__ as package_name

    calls, settings = [], dict(fail=None, users=(), connected=False)

    def new_connector(mode, run_command, timeout=30, root="/"):
        calls.append(("new_connector", mode, timeout))
        fake = FakeConnector(mode, calls, settings["fail"], settings["users"])
        fake.connected = settings["connected"]
        return fake

    fake_module = types.ModuleType(CONNECTOR)
    fake_module.ConnectorError = FakeConnectorError
    fake_module.new_connector = new_connector
    monkeypatch.setitem(sys.modules, CONNECTOR, fake_module)
    monkeypatch.setattr(sys.modules[package_name], "connector", fake_module, raising=False)
    return calls, settings


def test_connect_true_without_the_connector_fails_cleanly(run_module, sim_admin, monkeypatch, volumes):
    from ansible_collections.alletra.storage.plugins.module_utils import __name__ as package_name

    monkeypatch.delattr(sys.modules[package_name], "connector", raising=False)
    monkeypatch.setitem(sys.modules, CONNECTOR, None)
    sim_admin.reset_counters()
    failed = run_module("alletra_host_attach", dict(pool=POOL, name="vol1", mode="nvme"))
    assert_clean_failure(failed, "connector", "connect: false")
    assert sim_admin.counters()["requests_total"] == 0


def test_connect_true_fails_with_the_connectors_message_when_the_host_lacks_support(run_module, connector, array, volumes):
    calls, settings = connector
    settings["fail"] = "check_support"
    before = array.snapshot()
    assert_clean_failure(run_module("alletra_host_attach", dict(pool=POOL, name="vol1")), "check_support failed on this host")
    assert array.snapshot() == before


def test_connect_true_connects_and_returns_the_device(run_module, connector, array, volumes):
    calls, settings = connector
    result = run_module("alletra_host_attach", dict(pool=POOL, name="vol1", host_name="host01", device_timeout=5))
    nguid = array.volumes()["vol1"]["nguid"].lower()
    assert result["changed"] and result["device"] == "/dev/nvme1n1" and result["by_id"].endswith(nguid)
    assert result["diff"]["after"]["device"] == "/dev/nvme1n1" and result["host_entity"] == "host01-nvme"
    assert [call[0] for call in calls] == ["new_connector", "check_support", "initiator", "find_device", "connect", "find_device"]
    assert calls[0] == ("new_connector", "nvme", 5) and calls[4] == ("connect", ("127.0.0.21", "127.0.0.22"), NQN)


def test_a_connect_failure_undoes_the_array_side(run_module, connector, array, volumes):
    calls, settings = connector
    settings["fail"] = "connect"
    failed = run_module("alletra_host_attach", dict(pool=POOL, name="vol1", host_name="host01"))
    assert_clean_failure(failed, "connect this host", "connect failed on this host", "deleted again")
    assert hosts(array) == {} and rules(array) == []


def test_absent_refuses_a_device_in_use_and_otherwise_removes_it_then_disconnects(run_module, connector, array, sim_admin, volumes):
    calls, settings = connector
    assert run_module("alletra_host_attach", dict(NVME, connect=True))["changed"]
    settings.update(connected=True, users=["/srv/data"])
    refused = run_module("alletra_host_attach", dict(NVME, connect=True, state="absent"))
    assert_clean_failure(refused, "/dev/nvme1n1", "/srv/data")
    assert rules(array) != []
    settings["users"] = ()
    del calls[:]
    detached = run_module("alletra_host_attach", dict(NVME, connect=True, state="absent"))
    assert detached["changed"] and hosts(array) == {} and rules(array) == []
    assert [call[0] for call in calls][-3:] == ["users", "remove_device", "disconnect"]
    assert calls[-1] == ("disconnect", sim_admin.state()["subsystemNQN"])
