# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of module_utils/pools.py: the marker in comments, pools of volume sets, pool names."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import pools
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure


def test_pool_comment_round_trip():
    comment = pools.pool_comment("SSD_r6", "compact")
    assert comment == "alletra.storage:v1 cpg=SSD_r6 naming=compact"
    assert pools.parse_marked_comment(comment) == {"cpg": "SSD_r6", "naming": "compact"}


@pytest.mark.parametrize("comment", [None, "", "Created and managed by LXD", "alletra.storage:v2 cpg=x", " cpg=x alletra.storage:v1"])
def test_foreign_comments_are_not_ours(comment):
    assert pools.parse_marked_comment(comment) is None
    assert pools.marks({"name": "v", "comment": comment}) == {}


def test_a_marked_volume_set_is_a_pool_and_its_facts_are_sorted():
    volume_set = {"name": "p1", "comment": pools.pool_comment("SSD_r6", "compact"), "setmembers": ["b", "a"]}
    pool = pools.pool_of_set(volume_set)
    assert pool == dict(name="p1", cpg="SSD_r6", naming="compact", members=["b", "a"], comment=volume_set["comment"])
    assert pools.pool_facts(pool) == dict(name="p1", cpg="SSD_r6", naming="compact", members=["a", "b"], volume_count=2)
    assert pools.pool_facts(None) == {}


@pytest.mark.parametrize("comment", ["not ours", "alletra.storage:v1 naming=lxd", None])
def test_a_volume_set_without_marker_or_cpg_is_no_pool(comment):
    assert pools.pool_of_set({"name": "s", "comment": comment, "setmembers": []}) is None


def test_a_pool_without_naming_setting_uses_lxd_names():
    assert pools.pool_of_set({"name": "p", "comment": "alletra.storage:v1 cpg=SSD_r6"})["naming"] == "lxd"


@pytest.mark.parametrize("name", ["-bad", "", ".", "..", "a/b", "x" * 32, "ok\n", 7])
def test_pool_names_the_array_would_not_take_are_refused(name):
    with pytest.raises(ModuleFailure) as caught:
        pools.check_pool_name(name, field="source.pool")
    assert caught.value.msg.startswith("source.pool: ")


@pytest.mark.parametrize("name", ["lxd-pool", "a", "x" * 31, "_p.1"])
def test_pool_names_the_array_takes(name):
    assert pools.check_pool_name(name) == name
