# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of module_utils/common.py: markers, snapshot order, vLUN ids, names."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import common


def test_pool_comment_round_trip():
    comment = common.pool_comment("SSD_r6", "compact")
    assert comment == "alletra.storage:v1 cpg=SSD_r6 naming=compact"
    assert common.parse_marked_comment(comment) == {"cpg": "SSD_r6", "naming": "compact"}


@pytest.mark.parametrize("comment", [None, "", "Created and managed by LXD", "alletra.storage:v2 cpg=x", " cpg=x alletra.storage:v1"])
def test_foreign_comments_are_not_ours(comment):
    assert common.parse_marked_comment(comment) is None


def test_snapshot_comment_keeps_the_user_name():
    snapshot = {"name": "sc-abc", "comment": common.snapshot_comment("snap0")}
    assert common.user_name_of(snapshot) == "snap0"
    assert common.user_name_of({"name": "made-elsewhere", "comment": "hourly"}) == "made-elsewhere"


def volume(name, copy_of=None, created=0, number=0, copy_type=3):
    return {"name": name, "copyOf": copy_of, "copyType": copy_type if copy_of else 1, "creationTimeSec": created, "id": number}


def test_snapshots_are_ordered_oldest_first_children_before_parents():
    volumes = dict((v["name"], v) for v in [
        volume("base"),
        volume("s2", "base", created=20, number=3),
        volume("s1", "base", created=10, number=2),
        volume("s1-child", "s1", created=30, number=4),
        volume("clone", "base", created=5, number=5, copy_type=2),
        volume("other", "elsewhere", created=1, number=6),
    ])
    assert [v["name"] for v in common.snapshots_of(volumes, "base")] == ["s1-child", "s1", "s2"]
    assert common.snapshots_of(volumes, "s2") == []


def test_same_second_snapshots_keep_creation_order_by_id():
    volumes = dict((v["name"], v) for v in [volume("b", "base", 7, 9), volume("a", "base", 7, 8)])
    assert [v["name"] for v in common.snapshots_of(volumes, "base")] == ["a", "b"]


def test_vlun_ids():
    assert common.vlun_id({"volumeName": "v1", "lun": 0, "hostname": "h1-nvme"}) == "v1,0,h1-nvme"
    assert common.vlun_id({"volumeName": "v1", "lun": 3, "hostname": None,
                           "portPos": {"node": 0, "slot": 3, "cardPort": 1}}) == "v1,3,,0:3:1"


def test_array_name_from_identity_in_each_scheme():
    uuid = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
    lxd = common.array_name({"naming": "lxd"}, uuid=uuid, volume_type="virtual-machine", content_type="block")
    compact = common.array_name({"naming": "compact"}, uuid=uuid, volume_type="virtual-machine", content_type="block")
    assert lxd == "v-5a2504b06a6c48498ee7ddb0b674fd14-b"
    assert compact.startswith("v-") and compact.endswith("-b") and len(compact) == 30
    assert common.array_name({"naming": "compact"}, name="given") == "given"


@pytest.mark.parametrize("kwargs, words", [
    (dict(name="-bad"), ["name", "-bad"]),
    (dict(uuid="nope", volume_type="custom", content_type="block"), ["uuid", "nope"]),
    (dict(uuid="5a2504b0-6a6c-4849-8ee7-ddb0b674fd14", volume_type="image", content_type="iso"), ["content_type", "iso"]),
])
def test_array_name_refusals_name_the_field(kwargs, words):
    with pytest.raises(common.ModuleFailure) as caught:
        common.array_name({"naming": "lxd"}, **kwargs)
    for word in words:
        assert word in caught.value.msg


def test_snapshot_array_name_is_stable_per_parent_and_name():
    parent = "u-5a2504b06a6c48498ee7ddb0b674fd14-b"
    first = common.snapshot_array_name(parent, "snap0", None, "custom", "filesystem", "lxd")
    assert first == common.snapshot_array_name(parent, "snap0", None, "custom", "filesystem", "lxd")
    assert first.startswith("su-") and first.endswith("-b") and len(first) == 37
    assert first != common.snapshot_array_name(parent, "snap1", None, "custom", "filesystem", "lxd")
    assert first != common.snapshot_array_name("u-0c6f1d1e8a474a399d553b0c1f6a2e11-b", "snap0", None, "custom", "filesystem", "lxd")
    explicit = common.snapshot_array_name(parent, "snap0", "0bb1c9a2-b7a4-5d0e-8f0c-6b1f2a3d4e5f", "custom", "filesystem", "lxd")
    assert explicit == "su-0bb1c9a2b7a45d0e8f0c6b1f2a3d4e5f-b"


@pytest.mark.parametrize("user_name", ["", "my snap", "a/b", "k=v", "x" * 101])
def test_snapshot_names_that_would_break_the_comment_are_refused(user_name):
    with pytest.raises(common.ModuleFailure) as caught:
        common.snapshot_array_name("vol", user_name, None, "custom", "filesystem", "lxd")
    assert caught.value.msg.startswith("name:")
