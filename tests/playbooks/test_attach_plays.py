# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_host_attach in real ansible-playbook runs through the emulated fabric (tests/fabric).

Real loop devices, real filesystems (community.general.filesystem), real mounts (ansible.posix.mount
with state ephemeral, so no fstab is touched) and real bytes that must survive detach, restore and copy.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import subprocess

import pytest

from outcomes import assert_clean_failure, marked_name

POOL = "lxd-pool"
CONTENT = "written through alletra_host_attach\n"
NEWER = "written after the snapshot\n"
HOSTS = dict(
    h1=dict(nqn="nqn.2014-08.org.nvmexpress:uuid:5b71928e-0000-4000-8000-0000000b0001", iqn="iqn.1993-08.org.debian:01:h1"),
    h2=dict(nqn="nqn.2014-08.org.nvmexpress:uuid:5b71928e-0000-4000-8000-0000000b0002", iqn="iqn.1993-08.org.debian:01:h2"),
)
# Each mode in some test. In-process tests (tests/unit/plugins/modules/test_host_attach*.py) run both
# modes end to end; a play here shows what needs the engine, so one mode a scenario, alternating, is
# enough. The file systems: ext4 here (and over iSCSI in attach.yml's test, test_lifecycle_playbooks.py),
# xfs in lifecycle.yml's run (test_awx.py), which also grows it.
# The smallest volume each file system takes (mkfs.xfs needs 300MiB): less for mkfs and the loop devices to do.
SIZES = dict(ext4="256MiB", xfs="512MiB")


@pytest.fixture
def host_env(fabric, sim_admin, cpg):
    """The environment of one emulated host (h1), with its initiator names; array tasks run fast."""
    sim_admin.config(task_seconds=0.05)
    return dict(fabric, ALLETRA_FABRIC_NQN=HOSTS["h1"]["nqn"], ALLETRA_FABRIC_IQN=HOSTS["h1"]["iqn"])


@pytest.fixture
def mountpoint(fabric, tmp_path):
    """Makes mount points; whatever is still mounted on them is unmounted before the fabric checks its loops."""
    made = []

    def make(name="mnt"):
        path = tmp_path / name
        path.mkdir()
        made.append(str(path))
        return str(path)

    yield make
    for path in made:
        for dummy in range(5):
            if not os.path.ismount(path):
                break
            subprocess.run(["umount", path], check=False)


def loops(tmp_path):
    """The loop devices over this test's simulator data (another xdist worker's are not ours)."""
    listing = subprocess.run(["losetup", "-a"], capture_output=True, text=True, check=False).stdout
    return [line for line in listing.splitlines() if str(tmp_path) in line]


def volumes(*names, size=SIZES["ext4"], **extra):
    """The pool and its volumes."""
    tasks = [{"name": "pool", "alletra.storage.alletra_pool": {"name": POOL, "cpg": "SSD_r6"}}]
    for name in names:
        tasks.append({"name": "volume " + name, "alletra.storage.alletra_volume": dict(pool=POOL, name=name, size=size)})
    for task in tasks:
        task.update(extra)
    return tasks


def attach(label, mode, name="vol1", state="present", host="h1", **extra):
    """An alletra_host_attach task registered as ``label`` (its task name too); a host not in HOSTS
    (a template) takes its initiator from the inventory vars nqn and iqn."""
    args = dict(pool=POOL, name=name, mode=mode, host_name=host, state=state, device_timeout=10)
    names = HOSTS.get(host, dict(nqn="{{ nqn }}", iqn="{{ iqn }}"))
    args.update({"nqn": names["nqn"]} if mode == "nvme" else {"iqn": names["iqn"]})
    args.update(extra)
    return {"name": label, "alletra.storage.alletra_host_attach": args, "register": label}


def mkfs(var, fstype="ext4"):
    return {"name": "mkfs " + var, "community.general.filesystem": {"dev": "{{ %s.device }}" % var, "fstype": fstype}}


def mount(var, mnt, fstype="ext4", fstab=None):
    """Mount the device of ``var``: ephemeral (always "changed" when already mounted, as ansible.posix
    remounts), or with ``fstab`` (a scratch file) state mounted, which is idempotent."""
    args = dict(src="{{ %s.device }}" % var, path=mnt, fstype=fstype, state="ephemeral")
    if fstab:
        args.update(state="mounted", fstab=fstab)
    return {"name": "mount " + var, "ansible.posix.mount": args}


def unmount(label, mnt):
    return {"name": "unmount " + label, "ansible.posix.mount": dict(path=mnt, state="unmounted")}


def mounted(label, var, mnt, task, fstype="ext4"):
    """Mount the device of ``var`` at ``mnt``, run ``task`` (named ``label``) there, unmount."""
    return [mount(var, mnt, fstype), dict(task, name=label), unmount(label, mnt)]


def write(mnt, content=CONTENT):
    return {"ansible.builtin.copy": dict(content=content, dest=mnt + "/data.txt", mode="0644")}


def read(mnt, register):
    return {"ansible.builtin.slurp": dict(src=mnt + "/data.txt"), "register": register}


def text_of(run, label):
    result = run[label]
    assert not result.get("failed"), result.get("msg")
    return base64.b64decode(result["content"]).decode()


def snapshot_task(state="present", **extra):
    args = dict(pool=POOL, volume="vol1", name="snap0", state=state)
    args.update(extra)
    return {"name": "snapshot " + state, "alletra.storage.alletra_snapshot": args}


def exported_to(array):
    """The host entities of the export rules (the template lines of /vluns, not the active VLUN per port)."""
    return sorted(vlun["hostname"] for vlun in array.vluns() if not vlun["active"])


def fabric_loops(fabric):
    """The fabric's loop device of each initiator (tests/fabric/README.md, State)."""
    with open(os.path.join(fabric["ALLETRA_FABRIC_STATE"], "fabric.json")) as handle:
        devices = json.load(handle)["devices"]
    return dict((device["initiator"], device["loop"]) for device in devices)


def assert_nothing_exported(array, sim_admin):
    assert array.vluns() == [] and sim_admin.state()["hosts"] == {}


def assert_ok(run):
    assert run.rc == 0 and run.failures == 0, [(name, result.get("msg")) for name, result in run.results if result.get("failed")]


@pytest.mark.parametrize("mode, fstype", [("nvme", "ext4")])
def test_host_attach_play_mount_is_idempotent_detach_refused_while_mounted_file_kept_across_detach(
        playbook, host_env, mountpoint, array, sim_admin, tmp_path, mode, fstype):
    mnt = mountpoint()
    fstab = mnt + ".fstab"  # a scratch file: state mounted is idempotent, and /etc/fstab is left alone
    tasks = volumes("vol1", size=SIZES[fstype]) + [attach("attached", mode), mkfs("attached", fstype)]
    tasks += [mount("attached", mnt, fstype, fstab=fstab), dict(write(mnt), name="write file")]
    tasks += [dict(attach("refused", mode, state="absent"), ignore_errors=True)]
    run = playbook(tasks, env=host_env)  # run twice: the second run changes nothing and is refused again
    assert run.rc == 0 and run.failures == 0
    attached = run["attached"]
    assert attached["changed"] and attached["mode"] == mode and attached["host_entity"] == "h1-" + mode and attached["targets"]
    device = attached["device"]
    assert device.startswith("/dev/loop") and run["write file"]["changed"]
    assert_clean_failure(run["refused"], mnt)
    assert os.path.ismount(mnt) and os.path.realpath(attached["by_id"]) == device
    assert [line for line in loops(tmp_path) if line.startswith(device + ":")]
    assert exported_to(array) == ["h1-" + mode] and "h1-" + mode in sim_admin.state()["hosts"]
    # Detach and attach are proved idempotent by test_host_attach_play_check_mode_changes_nothing and the play above.
    tasks = [unmount("it", mnt), attach("gone", mode, state="absent"), attach("back", mode)]
    tasks += mounted("read file", "back", mnt, read(mnt, "data"), fstype) + [attach("last", mode, state="absent")]
    run = playbook(tasks, env=host_env, rerun=False)
    assert_ok(run)
    assert run["gone"]["changed"] and run["gone"]["host_entity"] is None
    assert run["back"]["changed"] and text_of(run, "read file") == CONTENT
    assert run["last"]["changed"] and not os.path.ismount(mnt)
    assert loops(tmp_path) == [] and not os.path.exists(attached["by_id"])
    assert_nothing_exported(array, sim_admin)


@pytest.mark.parametrize("mode", ["nvme"])
def test_host_attach_play_restore_brings_old_bytes_refused_while_attached_unless_forced(
        playbook, host_env, mountpoint, array, sim_admin, mode):
    mnt = mountpoint()
    tasks = volumes("vol1") + [attach("first", mode), mkfs("first")]
    tasks += mounted("write old", "first", mnt, write(mnt))
    tasks += [snapshot_task()] + mounted("write new", "first", mnt, write(mnt, NEWER))
    # Attached: refused, then forced; the host reads the old bytes through the device it has.
    tasks += [dict(snapshot_task("restored"), name="refused", ignore_errors=True),
              dict(snapshot_task("restored", force=True), name="forced")]
    tasks += [attach("again", mode)] + mounted("read forced", "again", mnt, read(mnt, "forced"))
    # Detached: restored without force; the next attach brings the old bytes.
    tasks += mounted("write newer", "again", mnt, write(mnt, NEWER))
    tasks += [attach("gone", mode, state="absent"), dict(snapshot_task("restored"), name="restored"), attach("back", mode)]
    tasks += mounted("read restored", "back", mnt, read(mnt, "restored")) + [attach("last", mode, state="absent")]
    run = playbook(tasks, env=host_env, rerun=False)
    assert run.rc == 0 and run.failures == 0
    assert_clean_failure(run["refused"], "vol1", "force")
    assert run["write new"]["changed"] and run["forced"]["changed"] and text_of(run, "read forced") == CONTENT
    assert run["write newer"]["changed"] and run["gone"]["changed"]
    assert run["restored"]["changed"] and text_of(run, "read restored") == CONTENT
    assert_nothing_exported(array, sim_admin)


@pytest.mark.parametrize("mode", ["iscsi"])
def test_host_attach_play_copy_with_snapshots_has_source_bytes(playbook, host_env, mountpoint, array, sim_admin, mode):
    mnt = mountpoint()
    copy_args = dict(pool=POOL, name="vol2", source=dict(name="vol1"), copy_snapshots=True)
    copy = {"name": "copy", "alletra.storage.alletra_volume": copy_args}
    tasks = volumes("vol1") + [attach("first", mode), mkfs("first")]
    tasks += mounted("write old", "first", mnt, write(mnt)) + [snapshot_task(), copy]
    tasks += mounted("write new", "first", mnt, write(mnt, NEWER)) + [attach("copied", mode, name="vol2")]
    tasks += mounted("read copy", "copied", mnt, read(mnt, "data"))
    tasks += mounted("read source", "first", mnt, read(mnt, "source"))
    tasks += [attach("gone", mode, state="absent"), attach("gone2", mode, name="vol2", state="absent")]
    run = playbook(tasks, env=host_env, rerun=False)
    assert_ok(run)
    assert run["copy"]["changed"] and run["copied"]["device"] != run["first"]["device"]
    assert text_of(run, "read copy") == CONTENT and text_of(run, "read source") == NEWER
    copies = [volume for volume in array.volumes().values() if volume.get("copyOf") == "vol2"]
    assert [marked_name(volume) for volume in copies] == ["snap0"]
    assert_nothing_exported(array, sim_admin)


INVENTORY = {"all": {"hosts": dict((name, dict(names, ansible_connection="local")) for name, names in HOSTS.items())}}
# Each inventory host is an emulated host of its own: its initiator names reach the fabric's tools.
ON_EACH_HOST = dict(hosts="all", environment={"ALLETRA_FABRIC_NQN": "{{ nqn }}", "ALLETRA_FABRIC_IQN": "{{ iqn }}"})


def on_hosts(playbook, fabric, tasks, *hosts, rerun=True):
    """Run ``tasks`` on the inventory hosts ``hosts`` (h1, h2) of one play; twice unless ``rerun=False``."""
    tasks = [dict(task, when="inventory_hostname in %r" % (list(hosts),)) for task in tasks]
    run = playbook(tasks, env=fabric, inventory=INVENTORY, play_options=ON_EACH_HOST, rerun=rerun)
    assert run.rc == 0, [(name, result.get("msg")) for name, result in run.results_of("h2") if result.get("failed")]
    return run


@pytest.mark.parametrize("mode", ["iscsi"])
def test_host_attach_play_two_hosts_share_only_when_asked(playbook, host_env, fabric, array, sim_admin, mode):
    host = "{{ inventory_hostname }}"
    # Run once: the first attach and the last detach of a host are proved idempotent by the other tests;
    # the plays of the second host, sharing, run twice.
    one = on_hosts(playbook, fabric, volumes("vol1") + [attach("one", mode, host=host)], "h1", rerun=False).host("h1")["one"]
    assert one["changed"] and one["host_entity"] == "h1-" + mode and exported_to(array) == ["h1-" + mode]
    tasks = [dict(attach("unshared", mode, host=host), ignore_errors=True), attach("shared", mode, host=host, shared=True)]
    two = on_hosts(playbook, fabric, tasks, "h2").host("h2")
    assert_clean_failure(two["unshared"], "h1-" + mode)
    shared = two["shared"]
    assert shared["changed"] and shared["host_entity"] == "h2-" + mode and shared["device"]
    key = "nqn" if mode == "nvme" else "iqn"
    loops_by_host = fabric_loops(fabric)
    assert sorted(loops_by_host) == sorted(HOSTS[name][key] for name in HOSTS)
    assert loops_by_host[HOSTS["h1"][key]] != loops_by_host[HOSTS["h2"][key]]
    assert exported_to(array) == ["h1-" + mode, "h2-" + mode]
    gone = on_hosts(playbook, fabric, [attach("gone", mode, host=host, state="absent")], "h1").host("h1")["gone"]
    assert gone["changed"] and gone["host_entity"] is None
    assert list(sim_admin.state()["hosts"]) == ["h2-" + mode]
    assert list(fabric_loops(fabric).values()) == [loops_by_host[HOSTS["h2"][key]]]
    assert os.path.realpath(shared["by_id"]) == loops_by_host[HOSTS["h2"][key]]
    on_hosts(playbook, fabric, [attach("gone", mode, host=host, state="absent")], "h2", rerun=False)
    assert_nothing_exported(array, sim_admin)
    assert not os.path.exists(shared["by_id"])


@pytest.mark.parametrize("mode", ["nvme"])
def test_host_attach_play_check_mode_changes_nothing(playbook, host_env, array, sim_admin, tmp_path, mode):
    assert_ok(playbook(volumes("vol1"), env=host_env, rerun=False))
    before, devices = array.snapshot(), loops(tmp_path)
    checked = playbook([attach("attached", mode)], check=True, env=host_env)
    assert_ok(checked)
    assert checked["attached"]["changed"] and checked["attached"]["lun"] is None
    assert array.snapshot() == before and loops(tmp_path) == devices == []
    # Attach is proved idempotent by the mount test; detach, below.
    attached = playbook([attach("attached", mode)], env=host_env, rerun=False)["attached"]
    before, devices = array.snapshot(), loops(tmp_path)
    assert len(devices) == 1 and devices[0].startswith(attached["device"] + ":")
    checked = playbook([attach("detached", mode, state="absent")], check=True, env=host_env)
    assert_ok(checked)
    assert checked["detached"]["changed"] and array.snapshot() == before and loops(tmp_path) == devices
    assert os.path.realpath(attached["by_id"]) == attached["device"]
    assert_ok(playbook([attach("detached", mode, state="absent")], env=host_env))
    assert_nothing_exported(array, sim_admin)
    assert loops(tmp_path) == []
