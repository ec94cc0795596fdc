# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of module_utils/exports.py: vLUN ids and the facts of hosts, vLUNs and target ports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import exports

NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10"
IQN = "iqn.1993-08.org.debian:01:abc"


def test_vlun_ids():
    assert exports.vlun_id({"volumeName": "v1", "lun": 0, "hostname": "h1-nvme"}) == "v1,0,h1-nvme"
    assert exports.vlun_id({"volumeName": "v1", "lun": 3, "hostname": None,
                            "portPos": {"node": 0, "slot": 3, "cardPort": 1}}) == "v1,3,,0:3:1"
    assert exports.vlun_id({"volumeName": "v1", "lun": 1, "hostname": "h1",
                            "portPos": {"node": 0, "slot": 3, "cardPort": 1}}) == "v1,1,h1"


def test_export_hosts_for_messages():
    assert exports.export_hosts([{"hostname": "b"}, {"hostname": "a"}, {"hostname": "b"}, {}]) == "?, a, b"


def test_host_facts_name_persona_and_protocol():
    host = {"name": "h1", "persona": 2, "NVMETCPPaths": [{"NQN": NQN}], "descriptors": {"comment": "rack 4"}}
    assert exports.host_facts(host) == dict(name="h1", protocol="nvme", initiators=[NQN], persona="generic-alua", comment="rack 4")
    both = exports.host_facts({"name": "h2", "persona": 8, "iSCSIPaths": [{"name": IQN}], "FCPaths": [{"wwn": "1000AABB"}]})
    assert (both["protocol"], both["initiators"], both["persona"]) == (["fc", "iscsi"], [IQN, "1000AABB"], "vmware")
    bare = exports.host_facts({"name": "h3", "persona": 99})
    assert (bare["protocol"], bare["initiators"], bare["persona"], bare["comment"]) == (None, [], "unknown-99", None)


@pytest.mark.parametrize("number, name", [(1, "empty"), (2, "port"), (3, "host"), (4, "matched-set"), (5, "host-set"), (None, None)])
def test_vlun_facts_name_the_type(number, name):
    facts = exports.vlun_facts({"volumeName": "v1", "lun": 1, "hostname": "h1", "type": number, "active": 1,
                                "portPos": {"node": 1, "slot": 2, "cardPort": 1}})
    assert (facts["type"], facts["active"], facts["port_pos"]) == (name, True, "1:2:1")


def port(protocol, **fields):
    return dict({"portPos": {"node": 0, "slot": 2, "cardPort": 1}, "mode": 2, "linkState": 4, "protocol": protocol}, **fields)


def test_targets_are_ready_target_ports_of_host_protocols():
    assert exports.is_target(port(1)) and exports.is_target(port(2)) and exports.is_target(port(6))
    assert not exports.is_target(port(3)) and not exports.is_target(port(4)) and not exports.is_target(port(5))
    assert not exports.is_target(port(2, linkState=10)) and not exports.is_target(port(2, mode=3))


def test_target_facts_give_what_a_host_connects_to():
    assert exports.target_facts(port(2, IPAddr="10.0.0.1", iSCSIName="iqn.t", label="iSCSI-1")) == dict(
        protocol="iscsi", port_pos="0:2:1", label="iSCSI-1", address="10.0.0.1", iqn="iqn.t")
    assert exports.target_facts(port(6, nodeWWN="10.0.0.2", IPAddr="10.9.9.9"))["address"] == "10.0.0.2"
    assert exports.target_facts(port(6, IPAddr="10.9.9.9"))["address"] == "10.9.9.9"
    assert exports.target_facts(port(1, portWWN="20110002AC0CAFE0")) == dict(
        protocol="fc", port_pos="0:2:1", label=None, wwn="20110002AC0CAFE0")
