# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/snapshot_schedule.yml: the cron entry or the systemd units it installs, and the
installed command run exactly as cron or the timer runs it, taking snapshots on the simulator.

The simulator's password here holds every character the environment file must carry through
sh and systemd's EnvironmentFile= (quotes, $, backquote, backslash, %), and no output may show it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import pathlib
import re
import shlex
import shutil
import stat
import subprocess

import pytest

from outcomes import assert_clean_failure
from playbook_support import ANSIBLE_PLAYBOOK

PLAYBOOK = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "playbooks", "snapshot_schedule.yml"))
PASSWORD = "Sch3d \"q\" 'p' $HOME `id` \\$x \\` %d \\"
POOL = "lxd-pool"
VOLUME = "data01"
VOLUME_UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
LXD_VOLUME = "u-5a2504b06a6c48498ee7ddb0b674fd14-b"
INVENTORY = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
# What systemd gives a system service, and cron a job, besides their own files' settings.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CRON_ENVIRONMENT = dict(HOME=os.path.expanduser("~root"), LOGNAME="root")


@pytest.fixture
def sim(sim_tls_dir):
    """The simulator of tests/conftest.py with a password that needs quoting everywhere."""
    from alletra_sim import Simulator

    simulator = Simulator(host="127.0.0.1", port=0, tls_dir=sim_tls_dir, user="3paradm", password=PASSWORD)
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def volumes(array, cpg):
    """Pool lxd-pool with data01 and LXD's custom block volume of VOLUME_UUID, made through the WSAPI."""
    array.call("POST", "/volumesets", {"name": POOL, "comment": "alletra.storage:v1 cpg=%s naming=lxd" % cpg})
    for name in (VOLUME, LXD_VOLUME):
        array.call("POST", "/volumes", {"name": name, "cpg": cpg, "sizeMiB": 1024, "tpvv": True})
    array.call("PUT", "/volumesets/" + POOL, {"action": 1, "setmembers": [VOLUME, LXD_VOLUME]})


@pytest.fixture
def dirs(tmp_path):
    """Where the playbook writes: systemd and cron folders that exist, and folders under etc that it creates."""
    paths = dict(systemd=tmp_path / "systemd", cron=tmp_path / "cron.d", env=tmp_path / "etc" / "env", play=tmp_path / "etc" / "play")
    paths["systemd"].mkdir()
    paths["cron"].mkdir()
    return paths


def extra_vars(dirs, **variables):
    values = dict(alletra_pool=POOL, alletra_schedule_systemctl=False,
                  alletra_schedule_systemd_dir=str(dirs["systemd"]), alletra_schedule_cron_dir=str(dirs["cron"]),
                  alletra_schedule_env_dir=str(dirs["env"]), alletra_schedule_playbook_dir=str(dirs["play"]))
    values.update(variables)
    return ["-e", json.dumps(values)]


def written(dirs):
    """Every file under the playbook's folders."""
    return sorted(set(str(path) for folder in dirs.values() if folder.exists() for path in folder.rglob("*") if path.is_file()))


def failed_tasks(run):
    return [(name, result.get("msg")) for name, result in run.results if result.get("failed")]


def assert_password_hidden(run):
    shown = json.dumps(run.report) + run.stderr
    assert PASSWORD not in shown and "Sch3d" not in shown


def snapshots(sim_admin, parent):
    """{user-facing name: hours until it expires} of the snapshots of ``parent``."""
    found = {}
    for volume in sim_admin.state()["volumes"].values():
        if volume.get("copyOf") == parent:
            name = dict(word.partition("=")[::2] for word in volume["comment"].split()[1:])["snapshot"]
            found[name] = (volume["expirationTimeSec"] - volume["creationTimeSec"]) // 3600 if "expirationTimeSec" in volume else None
    return found


def cron_jobs(path):
    """(environment, [(time fields, command)]) of a file in /etc/cron.d, read as cron reads it."""
    environment, jobs = {}, []
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        assignment = re.match(r"^([A-Z]+)=(.*)$", line)
        if assignment:
            environment[assignment.group(1)] = assignment.group(2)
            continue
        fields = line.split(None, 6)
        assert fields[5] == "root" and "%" not in fields[6], line  # cron would turn a % into a line break
        jobs.append((" ".join(fields[:5]), fields[6]))
    return environment, jobs


def run_as_cron(path):
    environment, jobs = cron_jobs(path)
    environment.update(CRON_ENVIRONMENT)
    return subprocess.run([environment["SHELL"], "-c", jobs[0][1]], env=environment, capture_output=True, text=True, timeout=120,
                          check=False)


def unit_settings(path):
    """{key: [values]} of a unit file."""
    settings = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def environment_file(path):
    """An EnvironmentFile= as systemd reads ours: KEY="value", with \\ " $ ` escaped by a backslash in the value."""
    environment = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            assert value[0] == value[-1] == '"', line
            environment[key] = re.sub(r'\\([\\"$`])', r"\1", value[1:-1])
    return environment


def run_as_systemd(service):
    settings = unit_settings(service)
    assert settings["Type"] == ["oneshot"]
    environment = dict(environment_file(pathlib.Path(settings["EnvironmentFile"][0])), PATH=SYSTEMD_PATH)
    return subprocess.run(shlex.split(settings["ExecStart"][0]), env=environment, capture_output=True, text=True, timeout=120,
                          check=False)


def test_cron_entry_takes_snapshots_by_pattern_with_expiry_and_goes_away(playbook, sim, sim_admin, volumes, dirs):
    dirs["play"] = dirs["env"]  # the default: one folder
    schedule = dict(alletra_volume=VOLUME, snapshots_schedule="*/15 8-17 * * MON-FRI, @weekly", snapshots_expiry="1d 2H",
                    alletra_schedule_backend="cron")
    run = playbook(PLAYBOOK, extra_args=extra_vars(dirs, **schedule), inventory=INVENTORY)
    assert run.failures == 0, failed_tasks(run)
    assert_password_hidden(run)
    name = "alletra-snapshot-lxd-pool-data01"
    cron_file, env_file, play = dirs["cron"] / name, dirs["env"] / (name + ".env"), dirs["play"] / (name + ".yml")
    assert written(dirs) == sorted(str(path) for path in (cron_file, env_file, dirs["env"] / (name + "-ca.pem"), play))
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(cron_file.stat().st_mode) == 0o644
    environment, jobs = cron_jobs(cron_file)
    assert environment["SHELL"] == "/bin/sh"
    command = "set -a && . %s && exec flock -n %s %s -i localhost, %s" % (env_file, play, ANSIBLE_PLAYBOOK, play)
    assert jobs == [("*/15 8-17 * * 1-5", command), ("0 0 * * 0", command)]

    for number in range(2):
        job = run_as_cron(cron_file)
        assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]
        assert "Take the next snapshot" in job.stdout and PASSWORD not in job.stdout + job.stderr
        assert sorted(snapshots(sim_admin, VOLUME)) == ["snap%d" % taken for taken in range(number + 1)]
    assert snapshots(sim_admin, VOLUME) == {"snap0": 26, "snap1": 26}
    assert sim_admin.counters()["sessions_open"] == 0

    gone = playbook(PLAYBOOK, extra_args=extra_vars(dirs, alletra_volume=VOLUME, snapshots_schedule_state="absent",
                                                    alletra_schedule_backend="cron"), inventory=INVENTORY, rerun=False)
    assert gone.failures == 0 and gone.changed == 1
    assert written(dirs) == []
    assert snapshots(sim_admin, VOLUME) == {"snap0": 26, "snap1": 26}


def test_systemd_timer_by_lxd_uuid_previewed_then_installed_and_run(playbook, sim, sim_admin, volumes, dirs):
    schedule = dict(volume_uuid=VOLUME_UUID.upper(), volume_type="custom", content_type="block",
                    snapshots_schedule="@daily, 0 0 1,15 * sun", snapshots_pattern="auto-%d", snapshots_expiry="2w",
                    alletra_schedule_backend="systemd")
    name = "alletra-snapshot-lxd-pool-" + VOLUME_UUID
    service, timer = dirs["systemd"] / (name + ".service"), dirs["systemd"] / (name + ".timer")
    env_file, ca_file, play = dirs["env"] / (name + ".env"), dirs["env"] / (name + "-ca.pem"), dirs["play"] / (name + ".yml")

    stale_cron = dirs["cron"] / name  # as if this volume's schedule had been a cron entry
    stale_cron.write_text("0 0 * * * root true\n")

    preview = playbook(PLAYBOOK, check=True, diff=True, extra_args=extra_vars(dirs, **schedule), inventory=INVENTORY)
    assert preview.failures == 0, failed_tasks(preview)
    assert written(dirs) == [str(stale_cron)]
    assert_password_hidden(preview)
    units = preview["Write the systemd service and timer"]["results"]
    assert "OnCalendar=*-*-01,15 00:00:00\nOnCalendar=Sun *-*-* 00:00:00\n" in units[1]["diff"][0]["after"]
    assert [removed["item"] for removed in preview["Remove what this schedule does not use"]["results"] if removed["changed"]] == [str(stale_cron)]
    assert preview["Write the environment file with the connection"]["changed"]
    assert snapshots(sim_admin, LXD_VOLUME) == {}

    # The cron test proves the install idempotent: this one runs once.
    run = playbook(PLAYBOOK, extra_args=extra_vars(dirs, **schedule), inventory=INVENTORY, rerun=False)
    assert run.failures == 0, failed_tasks(run)
    assert_password_hidden(run)
    assert written(dirs) == sorted(str(path) for path in (service, timer, env_file, ca_file, play))
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert unit_settings(timer)["OnCalendar"] == ["*-*-* 00:00:00", "*-*-01,15 00:00:00", "Sun *-*-* 00:00:00"]
    assert unit_settings(timer)["WantedBy"] == ["timers.target"]
    settings = unit_settings(service)
    assert settings["EnvironmentFile"] == [str(env_file)]
    assert settings["ExecStart"] == ["%s -i localhost, %s" % (ANSIBLE_PLAYBOOK, play)]
    assert environment_file(env_file) == dict(
        ALLETRA_WSAPI_URL=sim.url, ALLETRA_USERNAME=sim.user, ALLETRA_PASSWORD=PASSWORD, ALLETRA_CA_PATH=str(ca_file),
        ANSIBLE_COLLECTIONS_PATH=os.environ["ANSIBLE_COLLECTIONS_PATH"])
    assert ca_file.read_text() == pathlib.Path(sim.ca_path).read_text()
    if shutil.which("systemd-analyze"):
        verified = subprocess.run(["systemd-analyze", "verify", "--man=no", str(timer), str(service)], capture_output=True, text=True,
                                  timeout=60, check=False)
        assert verified.returncode == 0 and not verified.stderr, verified.stderr

    job = run_as_systemd(service)
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]
    assert snapshots(sim_admin, LXD_VOLUME) == {"auto-0": 336}
    assert snapshots(sim_admin, VOLUME) == {}
    assert sim_admin.counters()["sessions_open"] == 0


def another_volumes_schedule(dirs):
    """Pool lxd's volume pool-data01 has the name that lxd-pool's data01 gets by default."""
    dirs["play"].mkdir(parents=True)
    (dirs["play"] / "alletra-snapshot-lxd-pool-data01.yml").write_text(
        "---\n# alletra.storage snapshot schedule alletra-snapshot-lxd-pool-data01: pool=lxd volume=pool-data01\n")


@pytest.mark.parametrize("variables, arrange, task, words", [
    (dict(snapshots_schedule="0 25 * * *"), None, "Check snapshots_schedule and read it as LXD does",
     ["snapshots_schedule '0 25 * * *'", "the hour field '25'", "allowed: 0-23, '*', ranges"]),
    (dict(snapshots_schedule="@daily", alletra_volume="data02"), None,
     "Check the pool, the volume, the pattern and the expiry on the array (nothing is created)", ["'data02' is not a volume of pool"]),
    (dict(snapshots_schedule="@daily"), another_volumes_schedule, "Check that the name is not another volume's schedule",
     ["is the schedule of another volume (pool=lxd volume=pool-data01); set alletra_schedule_name"]),
    (dict(snapshots_schedule="@daily", snapshots_pattern="snap", snapshots_expiry="3x"), None, "Check the variables before anything changes",
     ["snapshots_pattern must hold %d once", "template, got snap", "snapshots_expiry must be LXD's snapshots.expiry", "got 3x;"]),
], ids=["schedule", "volume", "name", "pattern and expiry"])
def test_bad_input_fails_before_anything_is_written(playbook, sim_admin, volumes, dirs, variables, arrange, task, words):
    if arrange:
        arrange(dirs)
    before = written(dirs)
    run = playbook(PLAYBOOK, extra_args=extra_vars(dirs, **dict(dict(alletra_volume=VOLUME, alletra_schedule_backend="cron"), **variables)),
                   inventory=INVENTORY, rerun=False)
    assert run.failures == 1
    assert_clean_failure(run[task], *words)
    assert written(dirs) == before
    assert not [request for request in sim_admin.counters()["requests"] if request.startswith("POST /api/v1/volumes/")]
