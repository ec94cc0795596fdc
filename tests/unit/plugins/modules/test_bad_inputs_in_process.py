# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module case of the bad-input matrix (tests/bad_input_matrix.py), in-process.

Each case fails with a message holding its words (the parameter and the fix), no traceback and no
password, leaves no WSAPI session open, and leaves the simulator's whole state as it was, object
by object. The simulators are set up once per kind of array for this file: a case changes
nothing, and one that does fails, whatever ran before it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import requests

from bad_input_matrix import OLD_LXD_POOL, POOL, WRONG_PASSWORD, all_cases, module_cases, resolve, serve_html
from conftest import connection_args, run_in_process
from outcomes import Array, assert_array_unchanged, assert_clean_failure

from alletra_sim import Simulator

SIM_USER = "3paradm"
SIM_PASSWORD = "alletra-bad-input-Pa55"


def arrange(sim):
    """The objects the cases name: pool lxd-pool (cpg SSD_r6) with volume v1 (1GiB) and its snapshot s0.
    An array limited to 31 characters gets lxd-pool alone, and a pool that keeps LXD's names, as one
    made before alletra_pool refused that would be."""
    steps = [("alletra_pool", dict(name=POOL, cpg="SSD_r6"))]
    if sim.persona != "primera":
        steps += [("alletra_volume", dict(pool=POOL, name="v1", size="1GiB")),
                  ("alletra_snapshot", dict(pool=POOL, volume="v1", name="s0"))]
    for module, options in steps:
        result = run_in_process(module, dict(connection_args(sim), **options))
        assert not result.get("failed"), result
    if sim.persona == "primera":
        Array(sim).call("POST", "/volumesets", {"name": OLD_LXD_POOL, "comment": "alletra.storage:v1 cpg=SSD_r6 naming=lxd"})


@pytest.fixture(scope="module")
def arrays(sim_tls_dir, tmp_path_factory):
    """``arrays(kind)``: a started simulator of that kind (``mp`` or ``primera``), arranged once."""
    started = {}

    def get(kind):
        if kind not in started:
            persona = {"mp": "alletra-mp", "primera": "primera"}[kind]
            sim = Simulator(host="127.0.0.1", port=0, tls_dir=sim_tls_dir, user=SIM_USER, password=SIM_PASSWORD, persona=persona,
                            data_dir=str(tmp_path_factory.mktemp("bad-input-" + kind)))
            sim.start()
            started[kind] = sim
            arrange(sim)
        return started[kind]

    yield get
    for sim in started.values():
        sim.stop()


@pytest.fixture(scope="module")
def html_url(sim_tls_dir):
    with serve_html(sim_tls_dir) as url:
        yield url


def params():
    return [pytest.param(case, id="%s: %s" % (case.where, case.id)) for case in module_cases()]


@pytest.mark.parametrize("case", params())
def test_bad_input_fails_cleanly_and_changes_nothing(case, arrays, html_url):
    sim = arrays(case.array)
    admin_url = sim.url + "/_sim/state"
    before = read_state(admin_url, sim.ca_path)
    module = "alletra_info" if case.where.startswith("connection") else case.where
    args = dict(connection_args(sim), **resolve(case.options, html_url))
    result = run_in_process(module, dict((key, value) for key, value in args.items() if value is not None))
    assert_clean_failure(result, *case.words)
    shown = json.dumps(result)
    assert WRONG_PASSWORD not in shown and SIM_PASSWORD not in shown
    assert_array_unchanged(before, read_state(admin_url, sim.ca_path))


def read_state(url, ca_path):
    """The simulator's whole state (GET /_sim/state)."""
    answer = requests.get(url, verify=ca_path, timeout=10)
    assert answer.ok, answer.text
    return answer.json()


def test_the_matrix_has_40_cases_or_more_across_modules_role_and_playbooks():
    cases = all_cases()
    assert len(cases) >= 40
    assert len(set((case.where, case.id) for case in cases)) == len(cases), "two cases of one place share an id"
    places = set(case.where.split(" (")[0] for case in cases)
    assert set(["alletra_volume", "alletra_pool", "alletra_snapshot", "alletra_host_attach", "alletra_info", "connection",
                "role alletra_initiator", "playbooks"]) <= places
