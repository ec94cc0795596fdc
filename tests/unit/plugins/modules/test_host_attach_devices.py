# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_host_attach with connect: true through the emulated fabric: real block devices, real bytes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

POOL = "lxd-pool"
NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-0000-4000-8000-00000000a001"
IQN = "iqn.1993-08.org.debian:01:alletra-a001"
INITIATORS = dict(nvme=dict(nqn=NQN), iscsi=dict(iqn=IQN))


@pytest.fixture
def volume(run_module, sim_admin):
    sim_admin.config(task_seconds=0.05)
    sim_admin.seed({"cpgs": [{"name": "SSD_r6", "capacityMiB": 4 * 1024 * 1024}]})
    assert run_module("alletra_pool", dict(name=POOL, cpg="SSD_r6"))["changed"]
    assert run_module("alletra_volume", dict(pool=POOL, name="vol1", size="256MiB"))["changed"]
    return "vol1"


def attach(run_module, mode, state="present", **extra):
    args = dict(pool=POOL, name="vol1", mode=mode, host_name="host01", state=state, device_timeout=10)
    args.update(INITIATORS[mode], **extra)
    return run_module("alletra_host_attach", args)


def write_at(device, offset, data):
    with open(device, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def read_at(device, offset, length):
    with open(device, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


@pytest.mark.parametrize("mode", ["nvme", "iscsi"])
def test_attach_gives_a_block_device_that_keeps_its_bytes_across_detach(
        run_module, sim_admin, fabric, volume, mode, monkeypatch):
    # The emulated host's own initiator names, as its /etc/nvme/hostnqn and initiatorname.iscsi would hold them.
    monkeypatch.setenv("ALLETRA_FABRIC_NQN", NQN)
    monkeypatch.setenv("ALLETRA_FABRIC_IQN", IQN)
    first = attach(run_module, mode)
    assert not first.get("failed") and first["changed"], first.get("msg")
    device = first["device"]
    assert os.path.exists(device) and os.path.realpath(first["by_id"]) == os.path.realpath(device)
    assert first["host_entity"] == "host01-" + mode and first["targets"]
    payload = os.urandom(4096)
    write_at(device, 1 << 20, payload)
    again = attach(run_module, mode)
    assert not again["changed"] and again["device"] == device
    gone = attach(run_module, mode, state="absent")
    assert gone["changed"] and not gone.get("failed"), gone.get("msg")
    assert not os.path.exists(first["by_id"])
    assert "host01-" + mode not in sim_admin.state()["hosts"]
    back = attach(run_module, mode)
    assert back["changed"] and read_at(back["device"], 1 << 20, 4096) == payload
    assert attach(run_module, mode, state="absent")["changed"]


def data_file(sim_admin, name):
    return sim_admin.state()["volumes"][name]["dataFile"]


def test_a_copy_with_snapshots_carries_each_snapshots_bytes(run_module, sim_admin, volume):
    """The bytes, not only the data identity: each snapshot of the copy holds its source snapshot's bytes."""
    marks = {}
    for number in range(2):
        marks["snap%d" % number] = os.urandom(512)
        write_at(data_file(sim_admin, "vol1"), 4096, marks["snap%d" % number])
        assert run_module("alletra_snapshot", dict(pool=POOL, volume="vol1", name="snap%d" % number))["changed"]
    write_at(data_file(sim_admin, "vol1"), 4096, b"now" * 100)
    copy = run_module("alletra_volume", dict(pool=POOL, name="vol1-copy", source=dict(name="vol1"), copy_snapshots=True))
    assert copy["changed"] and copy["volume"]["snapshots"] == ["snap0", "snap1"], copy.get("msg")
    volumes = sim_admin.state()["volumes"]
    for name, volume_state in volumes.items():
        if volume_state.get("copyOf") == "vol1-copy":
            user_name = volume_state["comment"].split("snapshot=")[1].split()[0]
            assert read_at(volume_state["dataFile"], 4096, 512) == marks[user_name], name
    assert read_at(data_file(sim_admin, "vol1-copy"), 4096, 300) == b"now" * 100
