# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input, every case in-process: a message naming the parameter, no traceback, the array unchanged.

tests/playbooks/test_bad_inputs.py runs the cases that need the engine (``environment:``) and a
few representative ones through ansible-playbook, to show the engine path fails the same clean way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

from outcomes import assert_clean_failure

UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
WRONG_PASSWORD = "Wr0ng-Pa55word"
VOLUME = "alletra.storage.alletra_volume"
SNAPSHOT = "alletra.storage.alletra_snapshot"
POOL = "alletra.storage.alletra_pool"
INFO = "alletra.storage.alletra_info"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cases():
    """(task name, module, options, words the message must contain)."""
    return [
        ("bad size unit", VOLUME, dict(name="v1", size="10XB"), ["size", "10XB"]),
        ("negative size", VOLUME, dict(name="v1", size="-1GiB"), ["size", "-1GiB"]),
        ("size not a number", VOLUME, dict(name="v1", size="lots"), ["size", "lots"]),
        ("zero size", VOLUME, dict(name="v1", size="0"), ["size"]),
        ("size of a wrong type", VOLUME, dict(name="v1", size=[1, 2]), ["size"]),
        ("bad uuid", VOLUME, dict(uuid="not-a-uuid"), ["uuid", "not-a-uuid"]),
        ("short uuid", VOLUME, dict(uuid="5a2504b0-6a6c"), ["uuid", "5a2504b0-6a6c"]),
        ("bad volume type", VOLUME, dict(uuid=UUID, volume_type="lxc"), ["volume_type", "lxc"]),
        ("iso of a container", VOLUME, dict(uuid=UUID, volume_type="container", content_type="iso"), ["iso"]),
        ("name and uuid", VOLUME, dict(name="v1", uuid=UUID), ["name", "uuid", "mutually exclusive"]),
        ("illegal volume name", VOLUME, dict(name="bad name!"), ["name", "bad name!"]),
        ("bad state", VOLUME, dict(name="v1", state="gone"), ["state", "gone"]),
        ("copy_snapshots without source", VOLUME, dict(name="v1", copy_snapshots=True), ["copy_snapshots", "source"]),
        ("bad source uuid", VOLUME, dict(name="v1", source=dict(uuid="xyz")), ["source", "xyz"]),
        ("bad task timeout", VOLUME, dict(name="v1", task_timeout=-5), ["task_timeout"]),
        ("unknown pool", VOLUME, dict(pool="no-such-pool", name="v1"), ["pool", "no-such-pool"]),
        ("bad pool name", POOL, dict(name="-bad", cpg="SSD_r6"), ["name", "-bad"]),
        ("unknown cpg", POOL, dict(name="p2", cpg="NO_CPG"), ["cpg", "NO_CPG"]),
        ("bad expiry", SNAPSHOT, dict(volume="v1", name="s0", expiry="3x"), ["expiry", "3x"]),
        ("pattern without placeholder", SNAPSHOT, dict(volume="v1", pattern="snap"), ["pattern", "%d"]),
        ("snapshot name with a space", SNAPSHOT, dict(volume="v1", name="my snap"), ["name", "my snap"]),
        ("bad gather_subset", INFO, dict(gather_subset=["disks"]), ["gather_subset", "disks"]),
        ("bad query", INFO, dict(query="volumes[?"), ["query"]),
        ("bad timeout", INFO, dict(timeout=0), ["timeout"]),
        ("url without scheme", INFO, dict(wsapi_url="array.example.com"), ["wsapi_url", "https://"]),
        ("wrong password", INFO, dict(password=WRONG_PASSWORD), ["username and password"]),
        ("unreachable url", INFO, dict(wsapi_url="https://127.0.0.1:%d" % free_port(), timeout=2), ["no answer", "wsapi_url"]),
        # What ``environment: {ALLETRA_CA_PATH: ""}`` gives the module (the playbook test runs it so).
        ("untrusted certificate", INFO, dict(ca_path=""), ["certificate", "ca_path", "validate_certs"]),
    ]


def test_bad_inputs_fail_cleanly_and_change_nothing(play, array, cpg, sim, sim_admin):
    play([
        {"name": "pool", POOL: {"name": "lxd-pool", "cpg": cpg}},
        {"name": "volume", VOLUME: {"pool": "lxd-pool", "name": "v1", "size": "1GiB"}},
    ])
    before = array.snapshot()
    sim_admin.reset_counters()
    tasks = []
    for name, module, options, dummy_words in cases():
        if module in (VOLUME, SNAPSHOT):
            options = dict({"pool": "lxd-pool"}, **options)
        tasks.append({"name": name, module: options, "ignore_errors": True})
    # Run twice by ``play``: the second run fails the same way and changes nothing either.
    run = play(tasks)
    assert len(tasks) >= 15
    assert run.failures == 0 and run.stats["ignored"] == len(tasks)
    for name, dummy_module, dummy_options, words in cases():
        assert_clean_failure(run[name], *words)
        assert WRONG_PASSWORD not in str(run[name]) and sim.password not in str(run[name])
    writes = [key for key in sim_admin.counters()["requests"]
              if not key.startswith(("GET ", "POST /api/v1/credentials", "DELETE /api/v1/credentials"))]
    assert writes == []
    assert sim_admin.counters()["sessions_open"] == 0
    assert array.snapshot() == before
