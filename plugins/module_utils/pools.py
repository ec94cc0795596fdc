# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pools: volume sets marked by this collection, the marks in comments, set membership and strays."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.alletra.storage.plugins.module_utils import naming
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import (
    COPY_VIRTUAL,
    MEMBER_IN_SET,
    MEMBER_NOT_IN_SET,
    NON_EXISTENT_SET,
    SET_ADD_MEMBER,
    SET_REMOVE_MEMBER,
    WsapiError,
)

# Marks the volume sets this collection manages as pools, and what it needs to know about them;
# volumes and snapshots it creates carry the same marker.
POOL_MARKER = "alletra.storage:v1"
# The comment LXD's alletra driver gives the volume sets of its pools (and its host entities).
LXD_COMMENT = "Created and managed by LXD"
# Volume set names: what the array takes, as a full match (a trailing newline is not a name).
SET_NAME = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]{0,30}")


def check_pool_name(name, field="pool"):
    """Refuse a pool name the array would not take (or that a URL would change) before any request."""
    if not isinstance(name, str) or not SET_NAME.fullmatch(name) or name in (".", ".."):
        raise ModuleFailure("%s: %r is not a valid pool name: use 1 to 31 letters, digits, '.', '_' or '-', "
                            "not starting with '-' and not '.' or '..'" % (field, name))
    return name


def pool_comment(cpg, scheme, extra=None):
    """The comment of a pool's volume set: the marker and the pool's settings."""
    words = [POOL_MARKER, "cpg=%s" % cpg, "naming=%s" % scheme]
    if extra:
        words.append(extra)
    return " ".join(words)


def parse_marked_comment(comment):
    """The key=value settings of a comment that starts with our marker, else None."""
    words = (comment or "").split()
    if not words or words[0] != POOL_MARKER:
        return None
    settings = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if sep:
            settings[key] = value
    return settings


def marks(volume):
    """The settings in a volume's comment (pool, run, copy, snapshot); empty when it has none."""
    return parse_marked_comment((volume or {}).get("comment")) or {}


def pool_of_set(volume_set):
    """The pool a volume set is (name, cpg, naming, members, comment), or None when it is not marked as one."""
    settings = parse_marked_comment(volume_set.get("comment"))
    if settings is None or not settings.get("cpg"):
        return None
    return dict(
        name=volume_set["name"],
        cpg=settings["cpg"],
        naming=settings.get("naming", naming.SCHEME_LXD),
        members=list(volume_set.get("setmembers") or []),
        comment=volume_set.get("comment") or "",
    )


def is_lxd_set(volume_set):
    """Whether a volume set is one of LXD's pools: LXD created it with its comment."""
    return (volume_set.get("comment") or "").strip() == LXD_COMMENT


def lxd_pool_of_set(volume_set):
    """An LXD pool as a pool dict (see pool_of_set) that can be read and copied from: LXD names its volumes
    with its own scheme, and its CPG is not recorded on the array."""
    return dict(name=volume_set["name"], cpg=None, naming=naming.SCHEME_LXD, members=list(volume_set.get("setmembers") or []),
                comment=volume_set.get("comment") or "", lxd=True)


def lxd_refusal(set_name, field="pool", volume=None):
    """The refusal of any change to LXD's pool ``set_name`` (or to its ``volume``): why, and what to do instead."""
    what = "volume %r is in pool %r, which" % (volume, set_name) if volume else "pool %r" % set_name
    return ModuleFailure(
        "%s: %s is LXD's pool (its volume set's comment is %r): LXD keeps its own records of it (volumes, snapshots, "
        "exports), which a change made here would leave wrong; change it through LXD (lxc storage, lxc storage volume); "
        "this collection only reads it (alletra_info, gather_subset lxd_pools) and copies from it (alletra_volume "
        "source)" % (field, what, LXD_COMMENT))


def pool_facts(pool):
    """What a task is told of a pool: its settings and members; empty for no pool."""
    if not pool:
        return {}
    return dict(name=pool["name"], cpg=pool["cpg"], naming=pool["naming"], members=sorted(pool["members"]),
                volume_count=len(pool["members"]))


def find_pool(client, name, required=True, field="pool", lxd=False):
    """The pool ``name`` as a dict (see pool_of_set), or None if absent.

    A volume set of that name that this collection did not create is refused, never adopted; one of
    LXD's pools is refused with why (lxd_refusal), unless ``lxd`` (a copy's source: only read).
    """
    check_pool_name(name, field)
    volume_set = client.get_or_none("/volumesets/" + name, NON_EXISTENT_SET)
    if volume_set is None:
        if required:
            raise ModuleFailure("pool %r does not exist: create it first with alletra.storage.alletra_pool" % name)
        return None
    if is_lxd_set(volume_set):
        if lxd:
            return lxd_pool_of_set(volume_set)
        raise lxd_refusal(name, field)
    pool = pool_of_set(volume_set)
    if pool is None:
        raise ModuleFailure(
            "volume set %r exists on the array but was not created by alletra.storage (its comment %r has no %r marker); "
            "it is left alone. Choose another pool name" % (name, volume_set.get("comment") or "", POOL_MARKER))
    return pool


def set_member(client, set_name, name, add=True):
    """Add ``name`` to volume set ``set_name`` (or take it out); done when the set says so.

    "Already in" or "not in" the set means another request got there first. A lost answer is
    settled by reading the set back, so a volume never ends up where the run believes it is not.
    """
    action, done_code = (SET_ADD_MEMBER, MEMBER_IN_SET) if add else (SET_REMOVE_MEMBER, MEMBER_NOT_IN_SET)
    try:
        client.request("PUT", "/volumesets/" + set_name, {"action": action, "setmembers": [name]})
    except WsapiError as err:
        if err.code == done_code:
            return
        if not err.unanswered:
            raise
        volume_set = client.get_or_none("/volumesets/" + set_name, NON_EXISTENT_SET) or {}
        if (name in (volume_set.get("setmembers") or [])) != add:
            raise


def volume_sets_of(client, name):
    """The volume sets (as the array lists them) that have volume ``name`` as a member."""
    return [item for item in client.members("/volumesets") if name in (item.get("setmembers") or [])]


def lxd_set_among(volume_sets):
    """The name of the first of ``volume_sets`` (as the array lists them) that is one of LXD's pools, or None."""
    return next((volume_set["name"] for volume_set in volume_sets if is_lxd_set(volume_set)), None)


def refuse_lxd_member(client, name, field):
    """Refuse volume ``name`` (outside the task's pool) when it is in one of LXD's pools, saying why."""
    lxd_set = lxd_set_among(volume_sets_of(client, name))
    if lxd_set:
        raise lxd_refusal(lxd_set, field, volume=name)


def strays_of(client, volumes, pool):
    """The stray volumes of ``pool`` among ``volumes`` (all volumes of the array, by name).

    A stray is a volume this collection made for the pool that is in no volume set: its run
    stopped between creating it and adding it to the pool, or between taking it out of the pool
    and deleting it. It is the pool's, and a later run finishes the job.
    """
    candidates = [volume for name, volume in sorted(volumes.items())
                  if name not in pool["members"] and volume.get("copyType") != COPY_VIRTUAL
                  and marks(volume).get("pool") == pool["name"]]
    if not candidates:
        return []
    in_sets = set()
    for item in client.members("/volumesets"):
        in_sets.update(item.get("setmembers") or [])
    return [volume for volume in candidates if volume["name"] not in in_sets]
