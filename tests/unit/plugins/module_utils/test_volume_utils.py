# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of module_utils/volumes.py: snapshot order, array names, volume facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import volumes
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure


def volume(name, copy_of=None, created=0, number=0, copy_type=3):
    return {"name": name, "copyOf": copy_of, "copyType": copy_type if copy_of else 1, "creationTimeSec": created, "id": number}


def test_snapshots_are_ordered_oldest_first_children_before_parents():
    array = dict((v["name"], v) for v in [
        volume("base"),
        volume("s2", "base", created=20, number=3),
        volume("s1", "base", created=10, number=2),
        volume("s1-child", "s1", created=30, number=4),
        volume("clone", "base", created=5, number=5, copy_type=2),
        volume("other", "elsewhere", created=1, number=6),
    ])
    assert [v["name"] for v in volumes.snapshots_of(array, "base")] == ["s1-child", "s1", "s2"]
    assert volumes.snapshots_of(array, "s2") == []


def test_same_second_snapshots_keep_creation_order_by_id():
    array = dict((v["name"], v) for v in [volume("b", "base", 7, 9), volume("a", "base", 7, 8)])
    assert [v["name"] for v in volumes.snapshots_of(array, "base")] == ["a", "b"]


def test_array_name_from_identity_in_each_scheme():
    uuid = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
    lxd = volumes.array_name({"naming": "lxd"}, uuid=uuid, volume_type="virtual-machine", content_type="block")
    compact = volumes.array_name({"naming": "compact"}, uuid=uuid, volume_type="virtual-machine", content_type="block")
    assert lxd == "v-5a2504b06a6c48498ee7ddb0b674fd14-b"
    assert compact.startswith("v-") and compact.endswith("-b") and len(compact) == 30
    assert volumes.array_name({"naming": "compact"}, name="given") == "given"


@pytest.mark.parametrize("kwargs, words", [
    (dict(name="-bad"), ["name", "-bad"]),
    (dict(uuid="nope", volume_type="custom", content_type="block"), ["uuid", "nope"]),
    (dict(uuid="5a2504b0-6a6c-4849-8ee7-ddb0b674fd14", volume_type="image", content_type="iso"), ["content_type", "iso"]),
])
def test_array_name_refusals_name_the_field(kwargs, words):
    with pytest.raises(ModuleFailure) as caught:
        volumes.array_name({"naming": "lxd"}, **kwargs)
    for word in words:
        assert word in caught.value.msg


def test_volume_comment_marks_pool_run_and_unfinished_copy():
    assert volumes.volume_comment("p1", "abc") == "alletra.storage:v1 pool=p1 run=abc"
    assert volumes.volume_comment("p1", "abc", copy_of="src") == "alletra.storage:v1 pool=p1 run=abc copy=src"


def test_volume_facts_decode_the_name_and_normalise_identifiers():
    facts = volumes.volume_facts({"name": "u-5a2504b06a6c48498ee7ddb0b674fd14-b", "sizeMiB": 1536, "wwn": "60002ac0",
                                  "comment": volumes.volume_comment("p1", "abc", copy_of="src"), "copyType": 1}, "p1")
    assert (facts["uuid"], facts["volume_type"], facts["content_type"], facts["snapshot"]) == (
        "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14", "custom", "block", False)
    assert (facts["size"], facts["wwn"], facts["nguid"], facts["copy_pending"], facts["pool"]) == ("1536MiB", "60002AC0", None, "src", "p1")
    assert volumes.volume_facts({"name": "not-lxd", "copyType": 3})["snapshot"] is True
