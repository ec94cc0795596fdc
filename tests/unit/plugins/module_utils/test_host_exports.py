# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/exports.py for host attach: initiator and host name checks, finding the export rule
among several, target addresses, and ensure_host settling a create another run won."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import exports
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure

NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10"
IQN = "iqn.1993-08.org.debian:01:abc"


@pytest.mark.parametrize("mode, initiator", [
    ("nvme", NQN), ("nvme", "nqn.2020-07.com.hpe:subsystem-1"), ("iscsi", IQN), ("iscsi", "iqn.2004-10.com.ubuntu"),
    ("iscsi", "eui.02004567A425678D"), ("iscsi", "naa.52004567BA64678D"),
])
def test_initiator_shapes_taken(mode, initiator):
    assert exports.check_initiator(mode, initiator, "field") == initiator


@pytest.mark.parametrize("mode, initiator", [
    ("nvme", IQN), ("nvme", "nqn.2014-08.org.nvmexpress"), ("nvme", NQN + "\n"), ("nvme", "nqn.2014-08.org:" + "x" * 220),
    ("iscsi", NQN), ("iscsi", "iqn.host01"), ("iscsi", "eui.0200"), ("iscsi", ""),
])
def test_initiator_shapes_refused_naming_the_field(mode, initiator):
    with pytest.raises(ModuleFailure) as failure:
        exports.check_initiator(mode, initiator, "nqn")
    assert failure.value.msg.startswith("nqn: ")


def test_entity_names_have_the_mode_and_at_most_31_characters():
    assert exports.entity_name("host01", "nvme") == "host01-nvme"
    assert exports.entity_name("h" * 25, "iscsi") == "h" * 25 + "-iscsi"
    for host_name, mode in (("h" * 27, "nvme"), ("h" * 26, "iscsi"), ("-host", "nvme"), ("host/01", "nvme"), ("", "nvme")):
        with pytest.raises(ModuleFailure) as failure:
            exports.entity_name(host_name, mode)
        assert failure.value.msg.startswith("host_name: ")


def test_initiators_match_without_case():
    host = {"name": "h", "NVMETCPPaths": [{"NQN": NQN.upper()}], "iSCSIPaths": [{"name": IQN}]}
    assert exports.has_initiator(host, NQN, "nvme") and exports.has_initiator(host, IQN.upper(), "iscsi")
    assert not exports.has_initiator(host, IQN, "nvme") and exports.initiators_of({"name": "bare"}, "iscsi") == []


def rule(lun, host, active=False, **fields):
    return dict(fields, volumeName="v1", lun=lun, hostname=host, active=active)


def test_the_entity_export_is_found_among_every_rule_not_the_first():
    vluns = [rule(1, "other"), rule(1, "other", True), rule(9, "mine"), rule(4, "mine"),
             rule(4, "mine", True, Subsystem_NQN="nqn.sub", portPos={"node": 0, "slot": 3, "cardPort": 1})]
    found = exports.entity_export(vluns, "mine")
    assert (found["lun"], found["active"], found["Subsystem_NQN"]) == (4, False, "nqn.sub")
    assert exports.entity_export(vluns, "nobody") is None
    assert exports.entity_export([rule(2, "mine", Subsystem_NQN="nqn.t")], "mine")["Subsystem_NQN"] == "nqn.t"


def test_a_matched_set_rule_is_deleted_with_its_port():
    position = {"node": 1, "slot": 3, "cardPort": 1}
    assert exports.vlun_id(dict(rule(2, "h1", type=4), portPos=position)) == "v1,2,h1,1:3:1"
    assert exports.vlun_id(dict(rule(2, "h1", type=3), portPos=position)) == "v1,2,h1"


def test_nvme_port_addresses_come_from_node_wwn_only_when_it_is_an_ip():
    nvme = dict(protocol=6, IPAddr="192.0.2.9")
    assert exports.port_address(dict(nvme, nodeWWN="192.0.2.21")) == "192.0.2.21"
    assert exports.port_address(dict(nvme, nodeWWN="2FF70002AC0CAFE0")) == "192.0.2.9"
    assert exports.port_address(dict(protocol=2, IPAddr="192.0.2.11", nodeWWN="192.0.2.99")) == "192.0.2.11"


class StaleReads(object):
    """A client whose first reads of the hosts miss what another run creates right then."""

    def __init__(self, client, create):
        self.client, self.create, self.stale = client, create, True

    def members(self, path, query=None):
        if path == "/hosts" and self.stale:
            return []
        return self.client.members(path, query=query)

    def get_or_none(self, path, *codes):
        if path.startswith("/hosts/") and self.stale:
            self.stale = False
            self.create()
            return None
        return self.client.get_or_none(path, *codes)

    def request(self, *args, **kwargs):
        return self.client.request(*args, **kwargs)


@pytest.mark.parametrize("name, other_initiator, created_name", [
    ("host01-nvme", None, "host01-nvme"),            # 409/16: same name, our NQN
    ("host01-nvme-tcp", None, "host01-nvme-tcp"),    # 409/73: our NQN under LXD's name
    ("host01-nvme", NQN.replace("5b71", "0000"), None),  # same name, another NQN: refused
])
def test_ensure_host_reads_back_a_create_another_run_won(array, name, other_initiator, created_name):
    with array.client() as client:
        stale = StaleReads(client, lambda: client.request("POST", "/hosts", {"name": name, "NQN": other_initiator or NQN}))
        if created_name is None:
            with pytest.raises(ModuleFailure) as failure:
                exports.ensure_host(stale, "host01", "nvme", NQN)
            assert other_initiator in failure.value.msg and NQN in failure.value.msg
            return
        host, created = exports.ensure_host(stale, "host01", "nvme", NQN)
    assert (host["name"], created) == (created_name, False)
    assert [item["name"] for item in array.members("/hosts")] == [created_name]


def test_delete_host_keeps_an_entity_with_exports_and_takes_a_missing_one_as_deleted(array, cpg):
    with array.client() as client:
        client.request("POST", "/volumes", {"name": "v1", "cpg": "SSD_r6", "sizeMiB": 1024, "tpvv": True})
        client.request("POST", "/hosts", {"name": "h1", "NQN": NQN})
        client.request("POST", "/vluns", {"volumeName": "v1", "hostname": "h1", "lun": 1})
        assert exports.delete_host(client, {"name": "h1"}) is False
        assert [vlun["lun"] for vlun in exports.host_vluns(client, {"name": "h1"})] == [1]
        assert [item["lun"] for item in exports.remove_vluns(client, "v1", {"name": "h1"})] == [1]
        assert exports.delete_host(client, {"name": "h1"}) is True
        assert exports.delete_host(client, {"name": "h1"}) is True


def test_default_mode_is_nvme_first_and_needs_a_ready_port(array, sim_admin):
    with array.client() as client:
        assert exports.default_mode(client) == "nvme"
    ports = sim_admin.state()["ports"]
    sim_admin.seed(ports=[dict(port, linkState=10) for port in ports if port["protocol"] == 6])
    with array.client() as client:
        assert exports.default_mode(client) == "iscsi"
    sim_admin.seed(ports=[dict(port, linkState=10) for port in ports if port["protocol"] == 2])
    with array.client() as client:
        with pytest.raises(ModuleFailure) as failure:
            exports.default_mode(client)
    assert failure.value.msg.startswith("mode: ")
