# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input fails with a message naming the parameter, no traceback, and the array unchanged."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

from outcomes import assert_clean_failure

UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
WRONG_PASSWORD = "Wr0ng-Pa55word"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cases(sim):
    """(task name, module, options, words the message must contain)."""
    volume = "alletra.storage.alletra_volume"
    snapshot = "alletra.storage.alletra_snapshot"
    return [
        ("bad size unit", volume, dict(name="v1", size="10XB"), ["size", "10XB"]),
        ("negative size", volume, dict(name="v1", size="-1GiB"), ["size", "-1GiB"]),
        ("size not a number", volume, dict(name="v1", size="lots"), ["size", "lots"]),
        ("zero size", volume, dict(name="v1", size="0"), ["size"]),
        ("size of a wrong type", volume, dict(name="v1", size=[1, 2]), ["size"]),
        ("bad uuid", volume, dict(uuid="not-a-uuid"), ["uuid", "not-a-uuid"]),
        ("short uuid", volume, dict(uuid="5a2504b0-6a6c"), ["uuid", "5a2504b0-6a6c"]),
        ("bad volume type", volume, dict(uuid=UUID, volume_type="lxc"), ["volume_type", "lxc"]),
        ("iso of a container", volume, dict(uuid=UUID, volume_type="container", content_type="iso"), ["iso"]),
        ("name and uuid", volume, dict(name="v1", uuid=UUID), ["name", "uuid", "mutually exclusive"]),
        ("illegal volume name", volume, dict(name="bad name!"), ["name", "bad name!"]),
        ("bad state", volume, dict(name="v1", state="gone"), ["state", "gone"]),
        ("copy_snapshots without source", volume, dict(name="v1", copy_snapshots=True), ["copy_snapshots", "source"]),
        ("bad source uuid", volume, dict(name="v1", source=dict(uuid="xyz")), ["source", "xyz"]),
        ("bad task timeout", volume, dict(name="v1", task_timeout=-5), ["task_timeout"]),
        ("unknown pool", volume, dict(pool="no-such-pool", name="v1"), ["pool", "no-such-pool"]),
        ("bad pool name", "alletra.storage.alletra_pool", dict(name="-bad", cpg="SSD_r6"), ["name", "-bad"]),
        ("unknown cpg", "alletra.storage.alletra_pool", dict(name="p2", cpg="NO_CPG"), ["cpg", "NO_CPG"]),
        ("bad expiry", snapshot, dict(volume="v1", name="s0", expiry="3x"), ["expiry", "3x"]),
        ("pattern without placeholder", snapshot, dict(volume="v1", pattern="snap"), ["pattern", "%d"]),
        ("snapshot name with a space", snapshot, dict(volume="v1", name="my snap"), ["name", "my snap"]),
        ("bad gather_subset", "alletra.storage.alletra_info", dict(gather_subset=["disks"]), ["gather_subset", "disks"]),
        ("bad query", "alletra.storage.alletra_info", dict(query="volumes[?"), ["query"]),
        ("bad timeout", "alletra.storage.alletra_info", dict(timeout=0), ["timeout"]),
        ("url without scheme", "alletra.storage.alletra_info", dict(wsapi_url="array.example.com"), ["wsapi_url", "https://"]),
        ("wrong password", "alletra.storage.alletra_info", dict(password=WRONG_PASSWORD), ["username and password"]),
        ("unreachable url", "alletra.storage.alletra_info", dict(wsapi_url="https://127.0.0.1:%d" % free_port(), timeout=2),
         ["no answer", "wsapi_url"]),
        ("untrusted certificate", "alletra.storage.alletra_info", {}, ["certificate", "ca_path", "validate_certs"]),
    ]


def test_bad_inputs_fail_cleanly_and_change_nothing(playbook, array, cpg, sim, sim_admin):
    playbook([
        {"name": "pool", "alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": cpg}},
        {"name": "volume", "alletra.storage.alletra_volume": {"pool": "lxd-pool", "name": "v1", "size": "1GiB"}},
    ])
    before = array.snapshot()
    sim_admin.reset_counters()
    tasks = []
    for name, module, options, dummy_words in cases(sim):
        options = dict(options)
        if module != "alletra.storage.alletra_pool" and module != "alletra.storage.alletra_info":
            options.setdefault("pool", "lxd-pool")
        task = {"name": name, module: options, "ignore_errors": True}
        if name == "untrusted certificate":
            task["environment"] = {"ALLETRA_CA_PATH": ""}
        tasks.append(task)
    run = playbook(tasks)
    assert len(cases(sim)) >= 15
    assert run.failures == 0 and run.stats.get("ignored") == len(tasks)
    for name, dummy_module, dummy_options, words in cases(sim):
        assert_clean_failure(run[name], *words)
        assert WRONG_PASSWORD not in str(run[name]) and sim.password not in str(run[name])
    writes = [key for key in sim_admin.counters()["requests"]
              if not key.startswith(("GET ", "POST /api/v1/credentials", "DELETE /api/v1/credentials"))]
    assert writes == []
    assert sim_admin.counters()["sessions_open"] == 0
    assert array.snapshot() == before
