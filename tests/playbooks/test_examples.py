# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module's EXAMPLES run, as written, against the simulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest
import yaml

from outcomes import marked_name

MODULES = os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "modules")
SOURCE = dict(pool="lxd-pool", uuid="5a2504b0-6a6c-4849-8ee7-ddb0b674fd14", volume_type="custom", content_type="block")

# What each module's examples expect to find on the array, and what they leave there.
SETUP = {
    "alletra_pool": [],
    "alletra_volume": [
        {"alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": "SSD_r6"}},
        {"alletra.storage.alletra_volume": dict(SOURCE, size="20GiB")},
        {"alletra.storage.alletra_snapshot": {"pool": "lxd-pool", "volume_uuid": SOURCE["uuid"], "volume_type": "custom",
                                              "content_type": "block", "name": "snap0"}},
    ],
    "alletra_snapshot": [
        {"alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": "SSD_r6"}},
        {"alletra.storage.alletra_volume": dict(SOURCE, size="20GiB")},
        {"alletra.storage.alletra_volume": {"pool": "lxd-pool", "name": "scratch01"}},
    ],
    "alletra_info": [
        {"alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": "SSD_r6"}},
        {"alletra.storage.alletra_volume": dict(SOURCE, size="20GiB")},
    ],
    "alletra_host_attach": [
        {"alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": "SSD_r6"}},
        {"alletra.storage.alletra_volume": dict(SOURCE, size="20GiB")},
    ],
}


def documentation_ports():
    """iSCSI and NVMe/TCP target ports on both nodes at documentation addresses (RFC 5737), which the
    alletra_host_attach examples name, instead of the default seed's loopback ones."""
    ports = []
    for node in (0, 1):
        ports.append(dict(portPos=dict(node=node, slot=2, cardPort=1), mode=2, linkState=4, type=8, protocol=2,
                          IPAddr="192.0.2.%d" % (11 + node), iSCSIName="iqn.2000-05.com.3pardata:2%d210002ac0cafe0" % node))
        ports.append(dict(portPos=dict(node=node, slot=3, cardPort=1), mode=2, linkState=4, type=1, protocol=6,
                          IPAddr="192.0.2.%d" % (21 + node), nodeWWN="192.0.2.%d" % (21 + node)))
    return ports


# Target ports a module's examples name, seeded before its set-up.
PORTS = {"alletra_host_attach": documentation_ports()}


def exports_left(array):
    """(volume, host entity) of every export rule, and the host entities."""
    rules = [(vlun["volumeName"], vlun["hostname"]) for vlun in array.vluns() if not vlun["active"]]
    return rules, [host["name"] for host in array.members("/hosts")]


LEFT = {
    "alletra_pool": lambda array: array.volume_sets() == {},
    "alletra_volume": lambda array: set(array.volume_sets()["lxd-pool"]["setmembers"]) == {
        "u-5a2504b06a6c48498ee7ddb0b674fd14-b", "u-0c6f1d1e8a474a399d553b0c1f6a2e11-b", "from-snap0"},
    "alletra_snapshot": lambda array: [marked_name(v) for v in array.volumes().values() if v.get("copyOf") == "scratch01"] == [
        "snap0"],
    "alletra_info": lambda array: list(array.volume_sets()) == ["lxd-pool"],
    "alletra_host_attach": lambda array: exports_left(array) == ([("u-5a2504b06a6c48498ee7ddb0b674fd14-b", "host01-nvme")], ["host01-nvme"]),
}


def examples_of(module):
    with open(os.path.join(MODULES, module + ".py")) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "EXAMPLES":
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no EXAMPLES" % module)


def test_every_module_has_its_examples_tested():
    modules = sorted(name[:-3] for name in os.listdir(MODULES) if name.endswith(".py") and not name.startswith("_"))
    assert modules == sorted(SETUP)


@pytest.mark.parametrize("module", sorted(SETUP))
def test_examples_run(module, playbook, array, cpg, sim_admin):
    if module in PORTS:
        sim_admin.seed(ports=PORTS[module])
    setup = [dict(task, name="setup %d" % number) for number, task in enumerate(SETUP[module])]
    examples = examples_of(module)
    assert examples and all(task["name"] for task in examples)
    # The examples create and delete in turn, so a second run is not expected to be quiet.
    run = playbook(setup + examples, rerun=False)
    assert run.failures == 0, [(name, result.get("msg")) for name, result in run.results if result.get("failed")]
    for task in examples:
        assert not run[task["name"]].get("failed")
    assert LEFT[module](array)
