# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bulk form (volumes: [...]) through ansible-playbook: --check and --diff reach every item. Its
logic, idempotence included, is tested in-process (tests/unit/plugins/modules/test_bulk_*.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

VOLUMES = {"name": "volumes", "alletra.storage.alletra_volume": {
    "pool": "lxd-pool", "size": "1GiB", "volumes": [{"name": "vol1"}, {"name": "vol2", "size": "512MiB"}]}}
SNAPSHOTS = {"name": "snapshots", "alletra.storage.alletra_snapshot": {
    "pool": "lxd-pool", "name": "snap0", "volumes": [{"volume": "vol1"}, {"volume": "vol2", "expiry": "1d"}]}}


def test_check_and_diff_reach_every_item(playbook, array, cpg, sim_admin):
    # The pool as alletra_pool makes it, without a playbook run of its own.
    array.call("POST", "/volumesets", {"name": "lxd-pool", "comment": "alletra.storage:v1 cpg=%s naming=lxd" % cpg})
    before = array.snapshot()
    checked = playbook([VOLUMES], check=True, diff=True)
    assert checked.failures == 0 and checked.changed == 1
    volumes = checked["volumes"]
    assert [entry["changed"] for entry in volumes["volumes"]] == [True, True]
    assert volumes["diff"]["before"] == {"vol1": {}, "vol2": {}}
    assert [volumes["diff"]["after"][name]["size_mib"] for name in ("vol1", "vol2")] == [1024, 512]
    assert array.snapshot() == before

    real = playbook([VOLUMES, SNAPSHOTS], diff=True, rerun=False)
    assert real.failures == 0 and real.changed == 2
    assert real["volumes"]["diff"] == volumes["diff"]
    assert sorted(real["snapshots"]["diff"]["after"]) == ["vol1/snap0", "vol2/snap0"]
    assert sorted(array.volume_sets()["lxd-pool"]["setmembers"]) == ["vol1", "vol2"]
    assert sorted(volume["copyOf"] for volume in array.volumes().values() if volume.get("copyOf")) == ["vol1", "vol2"]
    assert sim_admin.counters()["sessions_open"] == 0
