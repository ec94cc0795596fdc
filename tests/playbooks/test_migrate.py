# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/migrate.yml between two simulated arrays through one emulated host that attaches both.

Array A is the ``sim`` fixture, array B a second simulator (its own serial, WWNs, subsystem NQN
and target addresses); the fabric serves both (ALLETRA_FABRIC_SIM holds both URLs). Source
volumes get real data through their data files: ``mkfs.ext4 -d`` fills a filesystem from a folder
without a mount, and each snapshot is taken after different data was written. The runs: a filesystem
volume with two snapshots (at the default callback, so the progress lines are seen as a user sees them),
a block volume with ``migrate_remove_source``, a block volume of an LXD pool (read and staged, never
changed) with a fault on array B at the snapshot step, LXD's pool refusing what it does not allow, and
check mode (the plan, nothing changed). The rate limit itself is measured in tests/unit (test_copier.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import socket
import subprocess
import sys

import pytest

from lxd_pool import LXD_COMMENT, lxd_name
from outcomes import Array, SimAdmin, marked_name, target_ports
from playbook_support import ANSIBLE_PLAYBOOK, Run

PLAYBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "playbooks", "migrate.yml")
NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-0000-4000-8000-00000000a0b0"
INVENTORY = {"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}
HOST = socket.gethostname().split(".")[0]
POOL_COMMENT = "alletra.storage:v1 cpg=SSD_r6 naming=lxd"
MIB = 1024 * 1024
SIZE_MIB = 256


def b_ports():
    """Array B's target ports: other addresses and iSCSI names than A's default ones."""
    return target_ports("127.0.0.51", "127.0.0.41", "cbbb0")


class Side(object):
    """One array of the test: its simulator, control plane, WSAPI reads and data folder."""

    def __init__(self, sim, data_dir):
        self.sim, self.admin, self.array, self.data_dir = sim, SimAdmin(sim), Array(sim), data_dir

    def data_file(self, name):
        return os.path.join(self.data_dir, "%d.img" % self.array.volumes()[name]["id"])

    def pool(self, name):
        self.array.call("POST", "/volumesets", {"name": name, "comment": POOL_COMMENT})

    def connection(self, pool):
        return dict(pool=pool, wsapi=self.sim.url, user_name=self.sim.user, user_password=self.sim.password, wsapi_ca=self.sim.ca_path)

    def names(self):
        return sorted(self.array.volumes())


@pytest.fixture
def arrays(sim, sim_tls_dir, tmp_path, fabric, monkeypatch):
    """(A, B, env): two arrays with a pool each, and the fabric's environment for both."""
    from alletra_sim import Simulator

    other = Simulator(host="127.0.0.1", port=0, tls_dir=sim_tls_dir, user=sim.user, password=sim.password,
                      data_dir=str(tmp_path / "sim-b-data"))
    other.start()
    try:
        a, b = Side(sim, str(tmp_path / "sim-data")), Side(other, str(tmp_path / "sim-b-data"))
        b.admin.seed(ports=b_ports())
        for side in (a, b):
            side.admin.seed({"cpgs": [{"name": "SSD_r6", "capacityMiB": 1024 * 1024}]})
            side.admin.config(task_seconds=0.05)
            side.pool("pool-" + ("a" if side is a else "b"))
        env = dict(fabric, ALLETRA_FABRIC_SIM="%s %s" % (sim.url, other.url), ALLETRA_FABRIC_NQN=NQN)
        monkeypatch.setenv("ALLETRA_FABRIC_SIM", env["ALLETRA_FABRIC_SIM"])
        yield a, b, env
    finally:
        other.stop()


def fill(side, name, folder, files):
    """Put an ext4 filesystem holding ``files`` ({path: text}) on volume ``name`` through its data file."""
    os.makedirs(folder)
    for path, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(folder, path)), exist_ok=True)
        with open(os.path.join(folder, path), "w") as handle:
            handle.write(text)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", folder, side.data_file(name)], check=True, capture_output=True)


def make_volume(side, pool, name, snapshots=0, fill_with=None):
    """A 256MiB volume in ``pool``; before each snapshot snap<n> and at the end, ``fill_with(step)`` writes its data."""
    side.array.call("POST", "/volumes", {"name": name, "cpg": "SSD_r6", "sizeMiB": SIZE_MIB, "tpvv": True})
    side.array.call("PUT", "/volumesets/" + pool, {"action": 1, "setmembers": [name]})
    for number in range(snapshots):
        fill_with("snap%d" % number)
        side.array.call("POST", "/volumes/" + name, {"action": "createSnapshot", "parameters": {
            "name": "%s-s%d" % (name, number), "comment": "alletra.storage:v1 snapshot=snap%d" % number}})
    fill_with("volume")


def ext4_file(image, path):
    """A file's content inside an ext4 image, read with debugfs (no mount)."""
    out = subprocess.run(["debugfs", "-R", "cat " + path, image], check=True, capture_output=True, text=True)
    return out.stdout


def sha256(path, size=SIZE_MIB * MIB):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read(size)).hexdigest()


def snapshots_of(side, parent):
    """{user-facing name: array name} of ``parent``'s snapshots."""
    return dict((marked_name(volume), name) for name, volume in side.array.volumes().items() if volume.get("copyOf") == parent)


def migrate(env, variables, tmp_path, callback="ansible.posix.json", extra_args=()):
    """One ansible-playbook run of migrate.yml; the Run (JSON callback) or the CompletedProcess (default)."""
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(INVENTORY))
    run_env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK=callback, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable, **env)
    for name in ("ALLETRA_WSAPI_URL", "ALLETRA_USERNAME", "ALLETRA_PASSWORD", "ALLETRA_CA_PATH"):
        run_env.pop(name, None)
    variables = dict(dict(migrate_progress_interval=2), alletra_initiator_setup=False, alletra_host_nqn=NQN,
                     migrate_work_dir=str(tmp_path / "work"), **variables)
    process = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(inventory), PLAYBOOK, "-e", json.dumps(variables)] + list(extra_args),
                             env=run_env, capture_output=True, text=True, timeout=300, check=False)
    return Run(process, PLAYBOOK) if callback == "ansible.posix.json" else process


def assert_nothing_attached(*sides):
    for side in sides:
        assert side.array.vluns() == [] and side.array.members("/hosts") == [], "an export or host entity was left"
        assert side.admin.counters()["sessions_open"] == 0, "a WSAPI session was left open"


def test_a_filesystem_volume_moves_with_its_snapshots_verified_and_its_progress_shown(arrays, tmp_path):
    a, b, env = arrays
    name = "u-7d4e1c2a9b3f4e5d8c6b1a0f9e8d7c6b"

    # The volume's own data (random hex: --compress shrinks what rsync's limit counts by half only)
    # takes about 6 s at the rate below, so its progress is printed while it runs, even when the machine
    # is loaded enough that each polling task takes a second or more (at 100KiB, about 1.6 s, it once
    # finished before the first poll under make test's load).
    data = {"snap0": "snap0" * 2000, "snap1": "snap1" * 2000, "volume": os.urandom(160000).hex()}

    def fill_with(step):
        fill(a, name, str(tmp_path / ("tree-" + step)), {"state.txt": step, "data/%s.bin" % step: data[step], "kept.txt": "k"})

    make_volume(a, "pool-a", name, snapshots=2, fill_with=fill_with)
    before = dict((volume, sha256(a.data_file(volume))) for volume in a.names())
    process = migrate(env, dict(alletra_pool="pool-a", volume_name=name, migrate_snapshots=True, rsync_bwlimit="25KiB",
                                migrate_progress_interval=1,
                                migrate_source=a.connection("pool-a"), migrate_destination=b.connection("pool-b")),
                      tmp_path, callback="default")
    assert process.returncode == 0, process.stdout[-4000:] + process.stderr[-2000:]

    # B: the volume with snap0 and snap1, each with the data the source had when it was taken.
    assert b.array.volume_sets()["pool-b"]["setmembers"] == [name]
    copies = snapshots_of(b, name)
    assert sorted(copies) == ["snap0", "snap1"]
    assert [b.array.volumes()[copies[snap]]["id"] for snap in ("snap0", "snap1")] == sorted(
        b.array.volumes()[copies[snap]]["id"] for snap in ("snap0", "snap1")), "snapshots must be made oldest first"
    for step, volume in (("snap0", copies["snap0"]), ("snap1", copies["snap1"]), ("volume", name)):
        assert ext4_file(b.data_file(volume), "/state.txt") == step
        assert ext4_file(b.data_file(volume), "/data/%s.bin" % step) == data[step]
    assert ext4_file(b.data_file(copies["snap1"]), "/data/snap0.bin") == "", "rsync --delete: snap0's file is gone in snap1"

    # The checksums compared, at default verbosity, once per step; the progress with bytes and rate.
    out = process.stdout
    verified = re.findall(r"sha256 ([0-9a-f]{64})", out.split("TASK [Summary]")[1])
    assert len(verified) == 3
    progress = re.findall(r'"msg": "((?:snapshot snap[01]|volume %s): [0-9.]+[KMG]?i?B(?: \(\d+%%\))? at [0-9.]+[KMG]?i?B/s, [0-9.]+ s[^"]*)"' % name, out)
    assert [line.split(":")[0] for line in progress if line.endswith("done")] == ["snapshot snap0", "snapshot snap1", "volume " + name]
    assert [line for line in progress if line.startswith("volume ") and not line.endswith("done")], "no progress while the copy ran"

    # A: untouched (the same volumes and data), no temporary volume, nothing exported; nothing mounted.
    assert dict((volume, sha256(a.data_file(volume))) for volume in a.names()) == before
    assert a.array.volume_sets()["pool-a"]["setmembers"] == [name]
    assert_nothing_attached(a, b)
    assert not os.path.exists(str(tmp_path / "work"))


def test_a_block_volume_moves_and_the_source_is_removed_after_verification(arrays, tmp_path):
    a, b, env = arrays
    uuid = "0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11"
    name = "u-0c6f1d1e8a474a399d553b0c1f6a2e11-b"

    def fill_with(step):
        with open(a.data_file(name), "r+b") as handle:
            handle.seek(3 * MIB + 17)
            handle.write(os.urandom(2 * MIB))

    make_volume(a, "pool-a", name, snapshots=1, fill_with=fill_with)
    source = sha256(a.data_file(name))
    run = migrate(env, dict(alletra_pool="pool-a", volume_uuid=uuid, volume_content_type="block", migrate_remove_source=True,
                            migrate_source=a.connection("pool-a"), migrate_destination=b.connection("pool-b")), tmp_path)
    assert run.rc == 0, run.stderr[-2000:]
    copied = run["Collect the copy and its verification"]
    assert copied["verified"] and copied["checksum"]["source"] == copied["checksum"]["destination"] == source
    assert sha256(b.data_file(name)) == source
    assert b.names() == [name], "without migrate_snapshots no snapshot is carried"
    assert a.names() == [] and a.array.volume_sets()["pool-a"].get("setmembers", []) == [], "the source and its snapshot are deleted"
    assert_nothing_attached(a, b)


def make_lxd_block_volume(side, pool, uuid, snapshot_uuid):
    """LXD's pool as its driver makes it (tests/lxd_pool.py): the set with LXD's comment, a custom block volume with
    data, and a snapshot as LXD takes one (no comment, named from its own UUID), then newer data."""
    name = lxd_name("custom", "block", uuid)
    side.array.call("POST", "/volumesets", {"name": pool, "comment": LXD_COMMENT})
    side.array.call("POST", "/volumes", {"name": name, "cpg": "SSD_r6", "sizeMiB": SIZE_MIB, "tpvv": True})
    side.array.call("PUT", "/volumesets/" + pool, {"action": 1, "setmembers": [name]})
    for step in ("snapshot", "volume"):
        with open(side.data_file(name), "r+b") as handle:
            handle.seek(5 * MIB + 3)
            handle.write(os.urandom(MIB))
        if step == "snapshot":
            side.array.call("POST", "/volumes/" + name, {"action": "createSnapshot", "parameters": {
                "name": lxd_name("custom", "block", snapshot_uuid, snapshot=True)}})
    return name


def test_a_volume_of_lxds_pool_is_read_through_a_staged_copy_and_a_fault_on_the_destination_undoes_the_run(arrays, tmp_path):
    a, b, env = arrays
    uuid, snapshot_uuid = "9b3f6c1d-2e4a-4b5c-8d6e-7f8091a2b3c4", "cc000000-0000-4000-8000-000000000001"
    name = make_lxd_block_volume(a, "lxdpool", uuid, snapshot_uuid)
    before_a = a.array.snapshot()
    data_a = dict((volume, sha256(a.data_file(volume))) for volume in a.names())
    b_before = b.array.snapshot()
    b.admin.faults(method="POST", path="/api/v1/volumes/" + name, count=50, status=500, code=0, desc="injected fault")
    run = migrate(env, dict(volume_uuid=uuid, volume_type="custom", volume_content_type="block", migrate_snapshots=True,
                            migrate_source=dict(a.connection("lxdpool"), staging_pool="pool-a"),
                            migrate_destination=b.connection("pool-b")), tmp_path)
    assert run.rc != 0
    # LXD's volume was read and its snapshot copied (staged in pool-a, named by its UUID) before the fault struck.
    assert run["Read the source volume of LXD's pool"]["ansible_facts"]["migrate_source_lxd_read"]["volume"]["snapshots"] == [snapshot_uuid]
    copied = run["Collect the copy and its verification"]
    assert copied["verified"] and copied["checksum"]["source"] == copied["checksum"]["destination"], copied
    failure = run["Fail, naming the step"]["msg"]
    assert "failed at step 'Snapshot the destination under the source snapshot's name" in failure, failure
    assert "injected fault" in failure and name + " is untouched" in failure and "except" not in failure, failure
    assert a.array.snapshot() == before_a, "LXD's pool and the staging pool must be as they were"
    assert dict((volume, sha256(a.data_file(volume))) for volume in a.names()) == data_a
    assert b.array.snapshot() == b_before, "the destination volume and what the run made on B must be gone"
    assert_nothing_attached(a, b)
    assert not os.path.exists(str(tmp_path / "work"))


def test_lxds_pool_as_the_source_needs_a_staging_pool_and_is_never_removed(arrays, tmp_path):
    a, b, env = arrays
    make_lxd_block_volume(a, "lxdpool", "9b3f6c1d-2e4a-4b5c-8d6e-7f8091a2b3c4", "cc000000-0000-4000-8000-000000000001")
    before = a.array.snapshot(), b.array.snapshot()
    run = migrate(env, dict(volume_uuid="9b3f6c1d-2e4a-4b5c-8d6e-7f8091a2b3c4", volume_content_type="block", migrate_remove_source=True,
                            migrate_source=a.connection("lxdpool"), migrate_destination=b.connection("pool-b")), tmp_path)
    assert run.rc != 0
    message = run["Refuse what LXD's pool does not allow"]["msg"]
    assert "migrate_source.staging_pool must name a pool of this collection" in message, message
    assert "migrate_remove_source: lxdpool is LXD's pool" in message and "lxc storage volume delete" in message, message
    assert (a.array.snapshot(), b.array.snapshot()) == before
    assert_nothing_attached(a, b)


def test_check_mode_shows_the_plan_and_changes_nothing(arrays, tmp_path):
    a, b, env = arrays
    make_volume(a, "pool-a", "data01", snapshots=2, fill_with=lambda step: None)
    before = a.array.snapshot(), b.array.snapshot()
    run = migrate(env, dict(alletra_pool="pool-a", volume_name="data01", migrate_snapshots=True, rsync_bwlimit="10MiB",
                            migrate_source=a.connection("pool-a"), migrate_destination=b.connection("pool-b")), tmp_path,
                  extra_args=["--check"])
    assert run.rc == 0, run.stderr[-2000:]
    plan = run["Show the plan"]["msg"]
    assert plan.startswith("data01 (filesystem, 256MiB) of pool pool-a to data01 of pool pool-b on " + b.sim.url), plan
    assert "snap0, snap1, the volume; rsync_bwlimit 10MiB; the source is kept" in plan, plan
    assert (a.array.snapshot(), b.array.snapshot()) == before
    assert_nothing_attached(a, b)
    assert not os.path.exists(str(tmp_path / "work"))
