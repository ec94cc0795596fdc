# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bad-input matrix (tests/bad_input_matrix.py) through ansible-playbook, in one run at -vvv.

Four plays: the module cases marked ``engine`` (credentials, URL, certificate, an HTML server, and
one that fails after login, so that a session key exists), with the connection options but the
password given as the ALLETRA_* environment variables of the task; the role's cases, each in a
block whose rescue keeps the play going; the playbooks' variable checks (tasks/check_vars.yml),
each in a block with the case's variables; last, playbooks/volume_lifecycle.yml itself, stopped by
its own check. Every case fails with its words and no traceback; neither the password, nor the
wrong password, nor any session key the simulator handed out shows anywhere in the output; the
array is unchanged object by object and the host is not changed.

Every module case also runs in-process (tests/unit/plugins/modules/test_bad_inputs_in_process.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import types

import yaml

from bad_input_matrix import (POOL, WRONG_PASSWORD, migrate_cases, module_cases, playbook_cases, playbook_run_case, resolve, role_cases,
                              serve_html)
from outcomes import assert_array_unchanged, assert_clean_failure
from playbook_support import ANSIBLE_PLAYBOOK, Run

PLAYBOOKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "playbooks")
CHECK_VARS = os.path.join(PLAYBOOKS, "tasks", "check_vars.yml")
MIGRATE_CHECKS = os.path.join(PLAYBOOKS, "tasks", "migrate_checks.yml")
# Given as the task's ALLETRA_* environment. Not the password: -vvv shows a task's environment: in
# the command it runs; the password is a module option (no_log), as module_defaults give it.
ENVIRONMENT_OPTIONS = ("wsapi_url", "username", "validate_certs", "ca_path", "timeout", "allow_http")


def module_task(case, html_url):
    """The case's task: the connection options but the password as the task's ALLETRA_* environment, the rest as
    module options."""
    options = resolve(case.options, html_url)
    module = "alletra.storage." + ("alletra_info" if case.where.startswith("connection") else case.where)
    task = {"name": case.id, module: dict((key, value) for key, value in options.items() if key not in ENVIRONMENT_OPTIONS),
            "ignore_errors": True}
    environment = dict(("ALLETRA_" + key.upper(), str(value)) for key, value in options.items() if key in ENVIRONMENT_OPTIONS)
    if environment:
        task["environment"] = environment
    return task


def role_task(case):
    return {"name": case.id,
            "block": [{"name": case.id + ": the role", "ansible.builtin.include_role": {"name": "alletra.storage.alletra_initiator"},
                       "vars": case.options}],
            "rescue": [{"name": case.id + ": refused", "ansible.builtin.debug": {"msg": "refused"}}]}


def playbook_task(case, checks=None):
    return {"name": case.id, "vars": case.options, "ignore_errors": True,
            "block": [{"ansible.builtin.import_tasks": checks or CHECK_VARS}]}


def plays(html_url):
    local = dict(hosts="localhost", connection="local", gather_facts=False)
    engine_cases = [case for case in module_cases() if case.engine]
    return [
        dict(local, name="modules", tasks=[module_task(case, html_url) for case in engine_cases]),
        dict(local, name="role", tasks=[role_task(case) for case in role_cases()]),
        dict(local, name="playbooks", tasks=[playbook_task(case) for case in playbook_cases()]),
        dict(local, name="migrate", tasks=[playbook_task(case, MIGRATE_CHECKS) for case in migrate_cases()],
             vars_files=[os.path.join(PLAYBOOKS, "vars", "alletra.yml"), os.path.join(PLAYBOOKS, "vars", "migrate.yml")]),
        # Last: its failure ends the run.
        {"name": "volume_lifecycle.yml", "ansible.builtin.import_playbook": os.path.join(PLAYBOOKS, "volume_lifecycle.yml"),
         "vars": playbook_run_case().options},
    ]


def run_verbose(path, env):
    """ansible-playbook -vvv with the JSON callback: the verbose lines come first on stdout, the report last."""
    process = subprocess.run([ANSIBLE_PLAYBOOK, "-i", "localhost,", path, "-vvv"], env=env, capture_output=True, text=True,
                             timeout=300, check=False)
    start = process.stdout.rfind('\n{\n    "custom_stats"')
    assert start >= 0, "no JSON report (rc %s):\n%s\n%s" % (process.returncode, process.stdout[-3000:], process.stderr[-3000:])
    report = types.SimpleNamespace(returncode=process.returncode, stdout=process.stdout[start:], stderr=process.stderr)
    return Run(report, path), process.stdout + process.stderr


def failed_results(run, play_name):
    """The failed task results of one play, in order."""
    play = next(play for play in run.report["plays"] if play["play"]["name"] == play_name)
    results = [task["hosts"]["localhost"] for task in play["tasks"] if "localhost" in task["hosts"]]
    return [result for result in results if result.get("failed")], results


def record_session_keys(sim, monkeypatch):
    """Every session key the simulator hands out from now on (the answers to POST /api/v1/credentials)."""
    keys = []
    handle = sim.handle

    def recording_handle(method, raw_path, *args):
        answer = handle(method, raw_path, *args)
        if method == "POST" and raw_path.rstrip("/") == "/api/v1/credentials" and isinstance(answer[1], dict) and answer[1].get("key"):
            keys.append(answer[1]["key"])
        return answer

    monkeypatch.setattr(sim, "handle", recording_handle)
    return keys


def test_bad_inputs_through_the_engine_at_vvv_fail_cleanly_and_show_no_secret(
        ansible_env, sim, sim_admin, array, cpg, tmp_path, monkeypatch):
    array.call("POST", "/volumesets", {"name": POOL, "comment": "alletra.storage:v1 cpg=%s naming=lxd" % cpg})
    array.call("POST", "/volumes", {"name": "v1", "cpg": cpg, "sizeMiB": 1024, "tpvv": True})
    array.call("PUT", "/volumesets/" + POOL, {"action": 1, "setmembers": ["v1"]})
    keys = record_session_keys(sim, monkeypatch)
    before = sim_admin.state()
    path = str(tmp_path / "bad_inputs.yml")
    with serve_html(sim.tls_dir) as html_url:
        with open(path, "w") as handle:
            yaml.safe_dump(plays(html_url), handle, sort_keys=False)
        run, output = run_verbose(path, ansible_env)

    assert run.rc == 2 and run.failures == 1, run.stderr[-3000:]
    whole = playbook_run_case()
    assert_clean_failure(run["Check volume_steps and what the steps need"], *whole.words)
    for case in [case for case in module_cases() if case.engine]:
        assert_clean_failure(run[case.id], *case.words)
    for play_name, cases in (("role", role_cases()), ("playbooks", playbook_cases()), ("migrate", migrate_cases())):
        failed, results = failed_results(run, play_name)
        assert len(failed) == len(cases), [result.get("msg") for result in failed]
        for case, result in zip(cases, failed):
            assert_clean_failure(result, *case.words)
        assert not [result for result in results if result.get("changed")], "a bad input changed the host"

    assert keys, "no session was opened: the session-key check below would prove nothing"
    for secret in [sim.password, WRONG_PASSWORD] + keys:
        assert secret not in output, "a secret shows in the -vvv output"
    assert "Traceback" not in output and "module_stderr" not in output
    assert sim_admin.counters()["sessions_open"] == 0
    assert_array_unchanged(before, sim_admin.state())


def test_every_playbook_checks_its_variables_before_anything_else():
    """What makes the check_vars cases above the playbooks' own: each runs it as its first task."""
    for name in ("pool.yml", "attach.yml", "detach.yml", "reconnect.yml", "volume_lifecycle.yml"):
        with open(os.path.join(PLAYBOOKS, name)) as handle:
            first_task = yaml.safe_load(handle)[0]["tasks"][0]
        assert first_task.get("ansible.builtin.import_tasks") == "tasks/check_vars.yml", name
    with open(os.path.join(PLAYBOOKS, "migrate.yml")) as handle:
        assert yaml.safe_load(handle)[0]["tasks"][0].get("ansible.builtin.import_tasks") == "tasks/migrate_checks.yml"
