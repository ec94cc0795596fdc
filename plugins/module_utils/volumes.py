# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Volumes: names, create, facts, snapshot trees, copy tasks, delete and undo."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible_collections.alletra.storage.plugins.module_utils import naming
from ansible_collections.alletra.storage.plugins.module_utils.bulk import Reads
from ansible_collections.alletra.storage.plugins.module_utils.exports import vlun_id
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure, Raced
from ansible_collections.alletra.storage.plugins.module_utils.pools import (
    POOL_MARKER,
    lxd_refusal,
    lxd_set_among,
    marks,
    set_member,
    volume_sets_of,
)
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import (
    COPY_VIRTUAL,
    EXISTENT_VOL,
    HTTP_BAD_REQUEST,
    INV_INPUT_EXCEEDS_LENGTH,
    INV_INPUT_ILLEGAL_CHAR,
    NO_SPACE,
    NON_EXISTENT_VOL,
    TASK_ACTIVE,
    TASK_CANCEL,
    WsapiError,
    WsapiTaskError,
)

VOLUME_TYPE_CHOICES = ["container", "virtual-machine", "image", "custom"]
CONTENT_TYPE_CHOICES = ["filesystem", "block", "iso"]


def volume_identity_spec():
    """The argument spec of an LXD identity's types, volume_type and content_type."""
    return dict(
        volume_type=dict(type="str", default="custom", choices=VOLUME_TYPE_CHOICES),
        content_type=dict(type="str", default="filesystem", choices=CONTENT_TYPE_CHOICES),
    )


def volume_argument_spec():
    """How a task names a volume of a pool: pool, name or uuid, and the identity's types
    (documented once in the doc fragment alletra.storage.volume)."""
    return dict(pool=dict(type="str", required=True), name=dict(type="str"), uuid=dict(type="str"), **volume_identity_spec())


def array_name(pool, name=None, uuid=None, volume_type=None, content_type=None, snapshot=False, field="name"):
    """The array name of a volume given by name, or by LXD identity in the pool's naming scheme."""
    if name is not None:
        if not name:
            raise ModuleFailure("%s: the volume name is empty: give a name or a uuid" % field)
        if not naming.valid_array_name(name) or name in (".", ".."):
            raise ModuleFailure("%s: %r is not a valid array volume name: use letters, digits, '.', '_' or '-', "
                                "not starting with '-' and not '.' or '..'" % (field, name))
        return name
    try:
        return naming.volume_name(volume_type, content_type, uuid, snapshot=snapshot, scheme=pool["naming"])
    except ValueError as err:
        if field != "name":
            raise ModuleFailure("%s: %s" % (field, err))
        raise ModuleFailure("%s: %s" % ("uuid" if "UUID" in str(err) else "content_type", err))


def name_volume_item(item, pool):
    """Name the volume of ``item`` (a task, or an item of its ``volumes``: bulk.Item) by its array name
    in the pool's naming scheme (without a pool, any scheme checks the name); returns that name."""
    params = item.params
    item.name = array_name(pool or dict(naming="lxd"), params["name"], params["uuid"], params["volume_type"], params["content_type"])
    item.names = (item.name,)
    return item.name


def get_volume(client, name):
    """The volume ``name``, or None; a name the array refuses even to look up fails naming the fix."""
    try:
        return client.get_or_none("/volumes/" + name, NON_EXISTENT_VOL)
    except WsapiError as err:
        raise name_refused(err, name) or err


def find_member(client, pool, name, field="name", reads=None):
    """The volume ``name`` of ``pool``, or None; read through ``reads`` (VolumeReads) when given.

    A volume this collection made for the pool that is in no volume set (its run stopped
    between creating it and adding it, or between taking it out and deleting it) comes back with
    ``stray`` set: the run finishes the job. Any other volume outside the pool is left alone.
    """
    volume = get_volume(client, name) if reads is None else reads.volume(name)
    if volume is None:
        return None
    if volume.get("copyType") == COPY_VIRTUAL:
        raise ModuleFailure("%s: %r is a snapshot; manage it with alletra.storage.alletra_snapshot" % (field, name))
    if name not in pool["members"]:
        volume_sets = volume_sets_of(client, name)
        lxd_set = lxd_set_among(volume_sets)
        if lxd_set and field == "source":
            raise ModuleFailure("source: volume %r is in LXD's pool %r, not in pool %r: give source.pool: %s to copy "
                                "from it" % (name, lxd_set, pool["name"], lxd_set))
        if lxd_set:
            raise lxd_refusal(lxd_set, field, volume=name)
        volume_sets = [volume_set["name"] for volume_set in volume_sets]
        if pool["name"] in volume_sets:
            pool["members"].append(name)  # another run added it since the pool was read
        elif volume_sets or marks(volume).get("pool") != pool["name"]:
            raise ModuleFailure(
                "%s: volume %r exists on the array but is not in pool %r; it is left alone" % (field, name, pool["name"]))
        else:
            volume["stray"] = True
    return volume


def all_volumes(client):
    """Every volume and snapshot of the array in one request, by name."""
    return dict((volume["name"], volume) for volume in client.members("/volumes"))


class VolumeReads(object):
    """What one run reads of the volumes its task names: each volume and its direct snapshots, for all
    of them in a few queries (bulk.Reads: ``name EQ x OR copyOf EQ x``), and every volume of the array
    once, for the snapshot trees of deletes. A name the run changed is read again when asked for."""

    def __init__(self, client, names=()):
        self.client = client
        self.reads = Reads(client, "/volumes", ("name", "copyOf"), names)
        self.every_volume = None

    def volume(self, name):
        """Volume (or snapshot) ``name`` as the array lists it, or None."""
        return next((volume for volume in self.reads.members(name) if volume["name"] == name), None)

    def direct_snapshots(self, parent):
        """Snapshots taken of ``parent`` itself (not of its snapshots), oldest first."""
        volumes = dict((volume["name"], volume) for volume in self.reads.members(parent))
        return [snapshot for snapshot in snapshots_of(volumes, parent) if snapshot.get("copyOf") == parent]

    def every(self):
        """Every volume of the array by name (all_volumes), read once per run. A task names each volume
        once and an item changes only its own volume's tree, so one read serves every item."""
        if self.every_volume is None:
            self.every_volume = all_volumes(self.client)
        return self.every_volume

    def forget(self, *names):
        self.reads.forget(*names)


def volume_comment(pool_name, run_id, copy_of=None):
    """The comment of a volume this collection creates: its pool, the run that made it, and
    ``copy=<source>`` until a copy into it has finished."""
    words = [POOL_MARKER, "pool=%s" % pool_name, "run=%s" % run_id]
    if copy_of:
        words.append("copy=%s" % copy_of)
    return " ".join(words)


def name_refused(err, name, field="name"):
    """A name the array refused (too long, characters), told in terms of the task's parameters; else None."""
    if err.code == INV_INPUT_EXCEEDS_LENGTH:
        # A name LXD's scheme made is fixed by the pool's scheme, not by the task.
        fix = "keep LXD's names in a pool made with naming: compact" if naming.decode_name(name) else "give a shorter name"
        return ModuleFailure("%s: the array refuses %r as too long (%d characters: %s). Arrays before Alletra MP (OS 10) take "
                             "at most 31 characters, 27 for a pool's volume set: %s" % (field, name, len(name), err.desc, fix),
                             wsapi_error=err.as_dict())
    if err.code == INV_INPUT_ILLEGAL_CHAR:
        return ModuleFailure("%s: the array refuses characters of %r (%s): use letters, digits, '.', '_' or '-'" % (
            field, name, err.desc), wsapi_error=err.as_dict())
    return None


def create_refused(err, name, field="name", space=None):
    """A create (or grow) the array refused for the name or the space, told in terms of the task's parameters.

    ``space`` says, for a refusal for want of space (NO_SPACE), what needed how much of which CPG
    and what to do; nothing was made or changed on the array then.
    """
    refused = name_refused(err, name, field)
    if refused:
        return refused
    if err.code == NO_SPACE:
        space = space or "the array has no space for %r" % name
        return ModuleFailure("%s (HTTP %s, WSAPI code %s: %s)" % (space, err.status, err.code, err.desc), wsapi_error=err.as_dict())
    return None


def no_space_for(name, size_mib, cpg):
    """What a create refused for want of space says: the volume, its size, the CPG, the fix."""
    return ("size: CPG %s has no space for volume %r of %s; nothing was created. Free space in CPG %s or give a smaller "
            "size" % (cpg, name, naming.format_mib(size_mib), cpg))


def create_volume(client, pool, name, size_mib, copy_of=None):
    """Create a thin volume in the pool's CPG and add it to the pool.

    A create whose answer was lost is settled by reading the volume back: one that carries this
    run's mark is this run's. "Already exists", or one made by another run, raises Raced. If
    adding it to the pool fails, the volume is deleted again.
    """
    body = {"name": name, "cpg": pool["cpg"], "snapCPG": pool["cpg"], "sizeMiB": size_mib, "tpvv": True,
            "comment": volume_comment(pool["name"], client.run_id, copy_of)}
    try:
        client.request("POST", "/volumes", body)
    except WsapiError as err:
        if err.code == EXISTENT_VOL:
            raise Raced(name)
        if not err.unanswered:
            raise create_refused(err, name, space=no_space_for(name, size_mib, pool["cpg"])) or err
        volume = get_volume(client, name)
        if volume is None:
            raise err
        if marks(volume).get("run") != client.run_id:
            raise Raced(name)
    try:
        set_member(client, pool["name"], name)
    except WsapiError as err:
        raise ModuleFailure("adding %s to pool %s failed: %s; %s" % (name, pool["name"], err, undo_volume(client, name)),
                            failed_step="add to pool", wsapi_error=err.as_dict())


def volume_facts(volume, pool_name=None):
    """What a task needs to know of a volume: its LXD identity and what a host matches on."""
    identity = naming.decode_name(volume["name"]) or {}
    return dict(
        name=volume["name"],
        pool=pool_name,
        uuid=identity.get("uuid"),
        volume_type=identity.get("volume_type"),
        content_type=identity.get("content_type"),
        snapshot=identity.get("snapshot", volume.get("copyType") == COPY_VIRTUAL),
        size_mib=volume.get("sizeMiB"),
        size=naming.format_mib(volume["sizeMiB"]) if volume.get("sizeMiB") else None,
        wwn=(volume.get("wwn") or "").upper() or None,
        nguid=(volume.get("nguid") or "").upper() or None,
        cpg=volume.get("userCPG"),
        read_only=bool(volume.get("readOnly")),
        copy_of=volume.get("copyOf") or None,
        copy_pending=marks(volume).get("copy"),
        comment=volume.get("comment") or "",
        array_id=volume.get("id"),
        created=volume.get("creationTime8601"),
        expires=volume.get("expirationTime8601"),
    )


def snapshots_of(volumes, name):
    """The snapshots (virtual copies) of ``name`` (``volumes``: every volume by name), children
    before their parents, oldest first. For many names, index once: snapshot_tree(snapshots_by_parent(...))."""
    return snapshot_tree(snapshots_by_parent(volumes.values()), name)


def snapshots_by_parent(volumes):
    """The snapshots taken of each volume (a list by parent name), oldest first, from one pass over ``volumes``."""
    children = {}
    for volume in volumes:
        if volume.get("copyType") == COPY_VIRTUAL and volume.get("copyOf"):
            children.setdefault(volume["copyOf"], []).append(volume)
    for snapshots in children.values():
        snapshots.sort(key=lambda snapshot: (snapshot.get("creationTimeSec") or 0, snapshot.get("id") or 0))
    return children


def snapshot_tree(children, name):
    """The snapshots of ``name`` and of its snapshots (``children``: snapshots_by_parent()), each
    snapshot's own snapshots before it, oldest first."""
    ordered = []
    for child in children.get(name, []):
        ordered.extend(snapshot_tree(children, child["name"]))
        ordered.append(child)
    return ordered


def delete_volume(client, name, pool_name, snapshots, vluns):
    """Delete a volume and, in order, what the caller agreed to delete with it.

    ``snapshots`` and ``vluns`` come from snapshots_of() and exports.vluns_of(); the caller has
    already refused when they are not empty and force is off. The volume leaves its pool only
    right before its own delete, and goes back into it when that delete fails: it is never left on
    the array outside its pool. Each step names itself when it fails.
    """
    step = "start"
    out_of_pool = False
    try:
        for vlun in vluns:
            step = "remove export of %s to host %s (LUN %s)" % (name, vlun.get("hostname"), vlun.get("lun"))
            client.request("DELETE", "/vluns/" + vlun_id(vlun))
        for snapshot in snapshots:
            step = "delete snapshot %s of %s" % (snapshot["name"], name)
            client.request("DELETE", "/volumes/" + snapshot["name"])
        if pool_name:
            step = "remove %s from pool %s" % (name, pool_name)
            set_member(client, pool_name, name, add=False)
            out_of_pool = True
        step = "delete volume %s" % name
        client.request("DELETE", "/volumes/" + name)
    except WsapiError as err:
        message = "deleting %s stopped at step '%s': %s" % (name, step, err)
        if out_of_pool:
            message += "; " + back_into_pool(client, name, pool_name)
        raise ModuleFailure(message, failed_step=step, wsapi_error=err.as_dict())


def back_into_pool(client, name, pool_name):
    """After a failed delete: the volume goes back into its pool, or the message says it did not."""
    try:
        if get_volume(client, name) is None:
            return "%s is gone all the same" % name
        set_member(client, pool_name, name)
        return "%s is back in pool %s" % (name, pool_name)
    except WsapiError as err:
        return "putting %s back into pool %s failed too (%s): run the task again to finish the delete" % (name, pool_name, err)


def copy_task(client, source_name, destination_name):
    """The id of the active copy task from ``source_name`` into ``destination_name``, or None.

    Tasks have no link to their volumes: as HPE's SDK does, a copy task is known by its name,
    ``<source>-*<destination>`` (offline) or the destination's name (online).
    """
    pattern = "%s-*%s" % (source_name, destination_name)
    ids = []
    for task in client.members("/tasks"):
        name = task.get("name") or ""
        if task.get("status") == TASK_ACTIVE and (fnmatch.fnmatchcase(name, pattern) or name == destination_name):
            ids.append(task["id"])
    return max(ids) if ids else None


def stop_copy_into(client, name, source_name, task_id=None):
    """Cancel the copy task from ``source_name`` into ``name`` (known by id, or found by its name) and
    wait until it has ended, so that the destination can be deleted."""
    if task_id is None:
        task_id = copy_task(client, source_name, name)
        if task_id is None:
            return
    try:
        client.request("PUT", "/tasks/%s" % task_id, {"action": TASK_CANCEL})
    except WsapiError as err:
        if err.status != HTTP_BAD_REQUEST:  # the task has already ended
            raise
    try:
        client.wait_task(task_id, timeout=60, poll_interval=0.5)
    except WsapiTaskError as err:
        if err.task is None or err.task.get("status") == TASK_ACTIVE:
            raise
    except WsapiError:
        pass  # the array took the cancel; if the task still holds the volume, its delete says so


def undo_volume(client, name, pool_name=None, copying_from=None, task_id=None):
    """Delete volume ``name``, which this run created, after a failure; say what was done.

    A copy into it is stopped first, everything below it in its snapshot tree goes before it
    (all of it is this run's), and it stays in its pool if it cannot be deleted.
    """
    try:
        if copying_from:
            stop_copy_into(client, name, copying_from, task_id)
        if get_volume(client, name) is None:
            return "nothing this run created is left"
        delete_volume(client, name, pool_name, snapshots_of(all_volumes(client), name), [])
    except WsapiError as err:
        return "undo could not delete %s, which this run created (%s); delete it by hand" % (name, err)
    except ModuleFailure as failure:
        return "undo could not delete %s, which this run created (%s)" % (name, failure.msg)
    return "what this run created was deleted again (%s)" % name
