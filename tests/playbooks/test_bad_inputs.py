# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input through the engine: a message naming the parameter, no traceback, the array unchanged.

Every case runs in-process in tests/unit/plugins/modules/test_bad_inputs_in_process.py (twice: the
second run fails the same way). Here ansible-playbook runs what needs the engine, a task's
``environment:`` reaching the ALLETRA_* fallbacks, and shows that a failure in argument checks and
one at login reach the play as cleanly, with no secret in the result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from outcomes import assert_clean_failure

WRONG_PASSWORD = "Wr0ng-Pa55word"
INFO = "alletra.storage.alletra_info"
CASES = [
    # (task name, module, options, words the message must contain)
    ("bad size unit", "alletra.storage.alletra_volume", dict(pool="lxd-pool", name="v1", size="10XB"), ["size", "10XB"]),
    ("wrong password", INFO, dict(password=WRONG_PASSWORD), ["username and password"]),
    ("untrusted certificate", INFO, {}, ["certificate", "ca_path", "validate_certs"]),
]


def test_bad_inputs_fail_cleanly_through_the_engine(playbook, array, cpg, sim, sim_admin):
    before = array.snapshot()
    sim_admin.reset_counters()
    tasks = [{"name": name, module: options, "ignore_errors": True} for name, module, options, dummy_words in CASES]
    tasks[-1]["environment"] = {"ALLETRA_CA_PATH": ""}
    # One run: the in-process test re-runs every case.
    run = playbook(tasks, rerun=False)
    assert run.failures == 0 and run.stats.get("ignored") == len(tasks)
    for name, dummy_module, dummy_options, words in CASES:
        assert_clean_failure(run[name], *words)
        assert WRONG_PASSWORD not in str(run[name]) and sim.password not in str(run[name])
    writes = [key for key in sim_admin.counters()["requests"]
              if not key.startswith(("GET ", "POST /api/v1/credentials", "DELETE /api/v1/credentials"))]
    assert writes == []
    assert array.snapshot() == before
