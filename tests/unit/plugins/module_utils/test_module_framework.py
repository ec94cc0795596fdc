# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module framework of module_utils/module.py: the result, race settling, parameter checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import module


def test_result_is_changed_when_before_and_after_differ():
    assert module.result({"size": 1}, {"size": 2}, volume={"size": 2}) == dict(
        changed=True, volume={"size": 2}, diff=dict(before={"size": 1}, after={"size": 2}))
    assert module.result({"size": 1}, {"size": 1}) == dict(changed=False, diff=dict(before={"size": 1}, after={"size": 1}))


def test_result_takes_an_explicit_changed():
    # A restore is an action: changed whatever the views say.
    same = {"parent": "v1"}
    assert module.result(same, same, changed=True, task={"id": 1})["changed"] is True
    assert module.result({}, {"name": "v1"}, changed=False)["changed"] is False


def test_result_keeps_returned_values_apart_from_the_diff():
    before, after = {"name": "v1"}, {}
    outcome = module.result(before, after, volume={}, deleted_snapshots=["s1"])
    assert outcome == dict(changed=True, volume={}, deleted_snapshots=["s1"], diff=dict(before=before, after=after))


def test_settle_races_runs_the_action_again_after_a_lost_race():
    calls = []

    def action():
        calls.append(1)
        if len(calls) < 3:
            raise module.Raced("v1")
        return "done"

    assert module.settle_races(action) == "done" and len(calls) == 3


def test_settle_races_gives_up_after_race_attempts():
    calls = []

    def action():
        calls.append(1)
        raise module.Raced("v1")

    with pytest.raises(module.Raced) as caught:
        module.settle_races(action)
    assert len(calls) == module.RACE_ATTEMPTS
    assert "'v1' was created by another run at the same time" in caught.value.msg


class FakeModule(object):
    def __init__(self, params):
        self.params = params
        self.failed = None

    def fail_json(self, **result):
        self.failed = result
        raise SystemExit(1)


def test_check_params_returns_what_the_check_returns():
    assert module.check_params(FakeModule({"size": 3}), lambda params: params["size"] * 2) == 6


def test_check_params_fails_the_module_with_the_refusal():
    fake = FakeModule({})

    def check(params):
        raise module.ModuleFailure("size: no", hint="give one")

    with pytest.raises(SystemExit):
        module.check_params(fake, check)
    assert fake.failed == dict(msg="size: no", hint="give one")
