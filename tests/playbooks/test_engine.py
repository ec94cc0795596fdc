# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""What only ansible-playbook shows: the action group in module_defaults, check and diff mode
through the engine, and a lifecycle play that is idempotent when run again."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

LIFECYCLE = [
    {"name": "pool", "alletra.storage.alletra_pool": {"name": "lxd-pool", "cpg": "SSD_r6"}},
    {"name": "volume", "alletra.storage.alletra_volume": {"pool": "lxd-pool", "name": "vol1", "size": "1GiB"}},
    {"name": "snapshot", "alletra.storage.alletra_snapshot": {"pool": "lxd-pool", "volume": "vol1", "name": "snap0"}},
    {"name": "info", "alletra.storage.alletra_info": {"gather_subset": ["volumes", "snapshots"]}, "register": "result"},
]


def test_check_mode_predicts_the_run_and_module_defaults_set_the_connection_once(playbook, array, sim, cpg, sim_admin):
    # The pool task is proved idempotent by the lifecycle's second run below.
    playbook(LIFECYCLE[:1], rerun=False)
    before = array.snapshot()
    sim_admin.reset_counters()
    checked = playbook(LIFECYCLE[1:2], check=True, diff=True)
    assert checked.failures == 0 and checked.changed == 1
    assert checked["volume"]["diff"]["after"]["size_mib"] == 1024 and checked["volume"]["diff"]["before"] == {}
    assert array.snapshot() == before
    writes = [key for key in sim_admin.counters()["requests"] if not key.startswith(("GET ", "POST /api/v1/spacereporter"))
              and "/credentials" not in key]
    assert writes == []
    # The connection reaches every module of the lifecycle from the action group alone (no ALLETRA_*
    # variables); the run, done twice by ``playbook``, is idempotent.
    connection = dict(wsapi_url=sim.url, username=sim.user, password=sim.password, ca_path=sim.ca_path)
    no_environment = dict(ALLETRA_WSAPI_URL=None, ALLETRA_USERNAME=None, ALLETRA_PASSWORD=None, ALLETRA_CA_PATH=None)
    real = playbook(LIFECYCLE, diff=True, env=no_environment,
                    play_options={"module_defaults": {"group/alletra.storage.alletra": connection}})
    assert real.failures == 0 and real.changed == 2
    assert real["volume"]["diff"] == checked["volume"]["diff"]
    assert [v["name"] for v in real["info"]["info"]["volumes"]] == ["vol1"]
    assert array.volume_sets()["lxd-pool"]["setmembers"] == ["vol1"]
