# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The playbooks of playbooks/ as a user runs them, against the simulator and the emulated fabric.

lifecycle.yml, the whole flow, runs as an AWX job in test_awx.py (test_a_job_runs_as_awx_runs_it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import subprocess
import sys


REPO = os.path.join(os.path.dirname(__file__), "..", "..")
PLAYBOOKS = os.path.join(REPO, "playbooks")
NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-0000-4000-8000-0000000c0001"
IQN = "iqn.1993-08.org.debian:01:playbooks"
INVENTORY = {"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}
HOST = socket.gethostname().split(".")[0]


def book(name):
    return os.path.join(PLAYBOOKS, name)


def extra(**variables):
    return ["-e", json.dumps(variables)]


def mounted(path):
    with open("/proc/self/mounts") as handle:
        return [line.split()[0] for line in handle if line.split()[1] == str(path)]


def test_attach_reconnect_detach_with_the_initiator_role(host_role_lock, playbook, fabric, sim, sim_admin, array, cpg, tmp_path):
    sim_admin.config(task_seconds=0.05)
    env = dict(fabric, ALLETRA_FABRIC_IQN=IQN)
    mnt, state = tmp_path / "mnt", tmp_path / "state"
    common = dict(alletra_pool="lxd-pool", volume_name="data01", alletra_mode="iscsi", alletra_host_iqn=IQN, alletra_state_dir=str(state))
    pool = playbook(book("pool.yml"), inventory=INVENTORY, extra_args=extra(alletra_pool="lxd-pool", alletra_cpg=cpg))
    assert pool.rc == 0 and list(array.volume_sets()) == ["lxd-pool"]

    # As for a host that is not the controller: the CA goes to the host, and its tasks verify TLS with the copy.
    attach_vars = dict(common, volume_size="512MiB", volume_mount_path=str(mnt), block_mount_options="discard,noatime",
                       alletra_initiator_kernel_modules=False, alletra_wsapi_ca_copy=True, alletra_wsapi_ca_dest=str(tmp_path / "ca.pem"))
    attached = playbook(book("attach.yml"), inventory=INVENTORY, env=env, extra_args=extra(**attach_vars))
    assert attached.rc == 0, attached.stderr[-2000:]
    assert attached["Export the volume to the host and connect it"]["host_entity"] == HOST + "-iscsi"
    with open(sim.ca_path) as handle:
        assert (tmp_path / "ca.pem").read_text() == handle.read()
    assert attached["Use the host's copy of the CA"]["ansible_facts"]["alletra_wsapi_ca_host"] == str(tmp_path / "ca.pem")
    assert list(array.volumes()) == ["data01"] and array.volumes()["data01"]["sizeMiB"] == 512
    assert sorted(h["name"] for h in array.members("/hosts")) == [HOST + "-iscsi"]
    assert mounted(mnt), "attach.yml did not mount the volume"
    with open("/proc/self/mounts") as handle:
        options = [line.split()[3] for line in handle if line.split()[1] == str(mnt)][0]
    assert "noatime" in options
    record = json.loads((state / "lxd-pool" / "data01.json").read_text())
    assert record == dict(pool="lxd-pool", volume="data01", mode="iscsi", path=str(mnt), fstype="ext4", options="discard,noatime")
    (mnt / "kept.txt").write_text("across the reboot\n")

    # A reboot: nothing is mounted or logged in on the host, the array still exports the volume.
    subprocess.run(["umount", str(mnt)], check=True)
    subprocess.run(["iscsiadm", "--mode", "node", "--logout"], env=dict(os.environ, **env), check=True, capture_output=True)
    assert not mounted(mnt) and len([v for v in array.vluns() if not v["active"]]) == 1

    reconnected = playbook(book("reconnect.yml"), inventory=INVENTORY, env=env, extra_args=extra(**common))
    assert reconnected.rc == 0, reconnected.stderr[-2000:]
    assert reconnected["Know the volumes exported to this host's entity"]["ansible_facts"]["alletra_exported"] == ["data01"]
    assert mounted(mnt) and (mnt / "kept.txt").read_text() == "across the reboot\n"

    detached = playbook(book("detach.yml"), inventory=INVENTORY, env=env, extra_args=extra(**common))
    assert detached.rc == 0, detached.stderr[-2000:]
    assert not mounted(mnt) and array.vluns() == [] and array.members("/hosts") == []
    assert not (state / "lxd-pool" / "data01.json").exists()
    assert list(array.volumes()) == ["data01"], "detach.yml must keep the volume"


def test_volume_lifecycle_steps_on_the_array(playbook, sim_admin, array, cpg):
    sim_admin.config(task_seconds=0.05)
    playbook(book("pool.yml"), rerun=False, extra_args=extra(alletra_pool="lxd-pool", alletra_cpg=cpg))
    volume = dict(alletra_pool="lxd-pool", volume_uuid="9e107d9d-372b-4b6f-8c1a-4f3e2b1a0c9d", volume_size="1GiB")
    name = "u-9e107d9d372b4b6f8c1a4f3e2b1a0c9d"

    made = playbook(book("volume_lifecycle.yml"), rerun=False, extra_args=extra(volume_steps=["create", "snapshot"], snapshots_expiry="1d", **volume))
    assert made.rc == 0, made.stderr[-2000:]
    assert made["Take a snapshot"]["snapshot"]["snapshot_name"] == "snap0"
    copied = playbook(book("volume_lifecycle.yml"), extra_args=extra(volume_steps=["copy"], volume_copy_name="copy01", **volume))
    assert copied.rc == 0
    names = sorted(array.volumes())
    assert name in names and "copy01" in names and len(names) == 4, names  # each with its snap0
    restored = playbook(book("volume_lifecycle.yml"), rerun=False, extra_args=extra(volume_steps=["restore"], snapshot_name="snap0", **volume))
    assert restored.rc == 0 and restored["Restore the volume from a snapshot"]["changed"]
    deleted = playbook(book("volume_lifecycle.yml"), rerun=False, extra_args=extra(volume_steps=["delete"], volume_delete_force=True, **volume))
    assert deleted.rc == 0
    left = sorted(array.volumes())
    assert name not in left and "copy01" in left and len(left) == 2, left  # the copy and its snap0 stay
