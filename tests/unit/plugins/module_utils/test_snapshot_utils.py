# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of module_utils/snapshots.py: user-facing names in comments, snapshot array names."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import snapshots
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure


def test_snapshot_comment_keeps_the_user_name():
    snapshot = {"name": "sc-abc", "comment": snapshots.snapshot_comment("snap0")}
    assert snapshots.user_name_of(snapshot) == "snap0"
    assert snapshots.user_name_of({"name": "made-elsewhere", "comment": "hourly"}) == "made-elsewhere"
    assert snapshots.snapshot_comment("snap0", "abc") == "alletra.storage:v1 snapshot=snap0 run=abc"


def test_snapshot_facts_add_parent_and_user_name():
    facts = snapshots.snapshot_facts({"name": "sc-abc", "copyOf": "c-1", "copyType": 3, "comment": snapshots.snapshot_comment("snap0")})
    assert (facts["parent"], facts["snapshot_name"], facts["snapshot"]) == ("c-1", "snap0", True)
    assert snapshots.snapshot_facts({"name": "x", "copyOf": "c-1", "comment": "hourly"})["snapshot_name"] is None


def test_snapshot_array_name_is_stable_per_parent_and_name():
    parent = "u-5a2504b06a6c48498ee7ddb0b674fd14-b"
    first = snapshots.snapshot_array_name(parent, "snap0", None, "custom", "filesystem", "lxd")
    assert first == snapshots.snapshot_array_name(parent, "snap0", None, "custom", "filesystem", "lxd")
    assert first.startswith("su-") and first.endswith("-b") and len(first) == 37
    assert first != snapshots.snapshot_array_name(parent, "snap1", None, "custom", "filesystem", "lxd")
    assert first != snapshots.snapshot_array_name("u-0c6f1d1e8a474a399d553b0c1f6a2e11-b", "snap0", None, "custom", "filesystem", "lxd")
    explicit = snapshots.snapshot_array_name(parent, "snap0", "0bb1c9a2-b7a4-5d0e-8f0c-6b1f2a3d4e5f", "custom", "filesystem", "lxd")
    assert explicit == "su-0bb1c9a2b7a45d0e8f0c6b1f2a3d4e5f-b"


@pytest.mark.parametrize("user_name", ["", "my snap", "a/b", "k=v", "x" * 101])
def test_snapshot_names_that_would_break_the_comment_are_refused(user_name):
    with pytest.raises(ModuleFailure) as caught:
        snapshots.snapshot_array_name("vol", user_name, None, "custom", "filesystem", "lxd")
    assert caught.value.msg.startswith("name:")


def test_a_bad_snapshot_uuid_names_the_field():
    with pytest.raises(ModuleFailure) as caught:
        snapshots.snapshot_array_name("vol", "snap0", "nope", "custom", "filesystem", "lxd")
    assert caught.value.msg.startswith("uuid:")
