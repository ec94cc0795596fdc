# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the tests of the bulk form (test_bulk_*.py) share: bad lists refused before any change, request counts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from outcomes import assert_clean_failure

# Requests that change nothing on the array.
READS = ("GET ", "POST /api/v1/credentials", "DELETE /api/v1/credentials")


def refused_before_any_change(play, array, sim_admin, cases):
    """Run one task for each case (task, words): each fails cleanly with the words in its message, only
    reads reach the array, and it is as it was."""
    before = array.snapshot()
    sim_admin.reset_counters()
    run = play([dict(task, name="case %d" % number, ignore_errors=True) for number, (task, dummy) in enumerate(cases)])
    for number, (dummy, words) in enumerate(cases):
        assert_clean_failure(run["case %d" % number], *words)
    assert [key for key in sim_admin.counters()["requests"] if not key.startswith(READS)] == []
    assert array.snapshot() == before


def counted(sim_admin, call):
    """What ``call()`` returns, and the simulator's counters of the requests it sent."""
    sim_admin.reset_counters()
    result = call()
    return result, sim_admin.counters()


def request_counts(sim_admin, run_module, module, bulk_args, single_args):
    """The counters of three runs of ``module``: the bulk form (it must change something), the same again
    and the single form (neither may change anything). Each must take one session and close it."""
    made, first = counted(sim_admin, lambda: run_module(module, bulk_args))
    again, no_op = counted(sim_admin, lambda: run_module(module, bulk_args))
    single, one = counted(sim_admin, lambda: run_module(module, single_args))
    assert made["changed"] and not again["changed"] and not single["changed"], (made.get("msg"), again.get("msg"), single.get("msg"))
    for counters in (first, no_op, one):
        assert counters["logins"] == 1 and counters["sessions_open"] == 0, counters
    return first, no_op, one
