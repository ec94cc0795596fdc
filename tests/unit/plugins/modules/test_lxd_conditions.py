# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The LXD driver's conditions, held here too: WSAPI version 1 only (one clear error naming the version found,
before login and before any change), and a size of 0 meaning the default 10GiB."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from outcomes import assert_array_unchanged, assert_clean_failure

POOL = "lxd-pool"
NQN = "nqn.2014-08.org.nvmexpress:uuid:5b71928e-6d3b-4c1b-9d1e-1f0e7e3c2a10"


@pytest.fixture
def pool(run_module, cpg):
    assert run_module("alletra_pool", dict(name=POOL, cpg=cpg))["changed"]
    assert run_module("alletra_volume", dict(pool=POOL, name="v1", size="1GiB"))["changed"]
    return POOL


TASKS = [
    ("alletra_info", dict(gather_subset=["all"])),
    ("alletra_pool", dict(name="pool2", cpg="SSD_r6")),
    ("alletra_volume", dict(pool=POOL, name="v2", size="1GiB")),
    ("alletra_volume", dict(pool=POOL, name="v1", state="absent")),
    ("alletra_snapshot", dict(pool=POOL, volume="v1", name="snap0")),
    ("alletra_host_attach", dict(pool=POOL, name="v1", host_name="host01", nqn=NQN, connect=False)),
]


@pytest.mark.parametrize("module, args", TASKS, ids=[module + "-" + str(i) for i, (module, dummy) in enumerate(TASKS)])
def test_an_array_that_answers_wsapi_version_2_is_refused_before_login_and_nothing_changes(
        run_module, sim_admin, pool, module, args):
    sim_admin.config(api_major=2)
    before = sim_admin.state()
    sim_admin.reset_counters()
    result = run_module(module, args)
    assert_clean_failure(result, "WSAPI version 2.10.0", "(GET /api)", "speaks WSAPI 1 only", "nothing was changed")
    counters = sim_admin.counters()
    assert counters["requests"] == {"GET /api": 1} and counters["logins"] == 0, counters["requests"]
    assert_array_unchanged(before, sim_admin.state())


@pytest.mark.parametrize("size", ["0", "0GiB"])
def test_size_0_is_the_default_10gib_for_a_new_volume_and_keeps_an_existing_ones_size(run_module, array, pool, size):
    made = run_module("alletra_volume", dict(pool=POOL, name="v0", size=size))
    assert made["changed"] and made["volume"]["size_mib"] == 10240, made.get("msg")
    kept = run_module("alletra_volume", dict(pool=POOL, name="v1", size=size))
    assert not kept["changed"] and kept["volume"]["size_mib"] == 1024, kept.get("msg")
    bulk = run_module("alletra_volume", dict(pool=POOL, size=size, volumes=[dict(name="b0"), dict(name="b1", size=0),
                                                                            dict(name="v1")]))
    assert [entry["changed"] for entry in bulk["volumes"]] == [True, True, False], bulk.get("msg")
    sizes = dict((name, volume["sizeMiB"]) for name, volume in array.volumes().items())
    assert sizes == dict(v0=10240, v1=1024, b0=10240, b1=10240)
