# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Snapshots: user-facing names kept in comments, LXD-shaped array names, create and facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import uuid

from ansible_collections.alletra.storage.plugins.module_utils import naming
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure, Raced
from ansible_collections.alletra.storage.plugins.module_utils.pools import POOL_MARKER, marks
from ansible_collections.alletra.storage.plugins.module_utils.volumes import create_refused, get_volume, snapshots_of, volume_facts
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import EXISTENT_VOL, VOLUME_CREATE_SNAPSHOT, WsapiError

# Namespace of the UUIDs (version 5) of snapshots named without an explicit uuid.
SNAPSHOT_NAMESPACE = uuid.UUID("8f6b2c1e-3d4a-5b6c-9d7e-0a1b2c3d4e5f")
# How many numbers a pattern's create tries: each number found taken is a snapshot a parallel run made.
PATTERN_ATTEMPTS = 100


def snapshot_comment(snapshot_name, run_id=None):
    """The comment that keeps a snapshot's user-facing name (snap0) on the array, and the run that made it."""
    comment = "%s snapshot=%s" % (POOL_MARKER, snapshot_name)
    return comment + " run=%s" % run_id if run_id else comment


def user_name_of(snapshot):
    """The user-facing name of a snapshot: the name its comment keeps (this collection's); else the UUID its
    LXD-shaped name carries (LXD's: the snapshot's own volatile.uuid, since LXD keeps the name, snap0, only in
    its database); else its array name."""
    named = marks(snapshot).get("snapshot")
    if named:
        return named
    identity = naming.decode_name(snapshot["name"])
    if identity and identity["snapshot"]:
        return identity["uuid"]
    return snapshot["name"]


def is_named(snapshot, given):
    """Whether ``given`` names ``snapshot``: its array name or user-facing name; a UUID in any spelling
    (with or without hyphens, any case) for a snapshot whose user-facing name is its UUID."""
    if given in (snapshot["name"], user_name_of(snapshot)):
        return True
    try:
        return str(naming.parse_uuid(given)) == user_name_of(snapshot)
    except ValueError:
        return False


def valid_snapshot_name(user_name):
    """User-facing snapshot names live in a comment of space-separated words: no spaces, no '/'."""
    return bool(user_name) and len(user_name) <= 100 and not any(c.isspace() or c in "/=" for c in user_name)


def snapshot_array_name(parent_name, user_name, snapshot_uuid, volume_type, content_type, scheme):
    """The array name of a snapshot: LXD-shaped, from its own UUID or one derived from parent and name."""
    if not valid_snapshot_name(user_name):
        raise ModuleFailure("name: %r is not a valid snapshot name: use 1 to 100 characters without spaces, '/' or '='" % (user_name,))
    identity = naming.decode_name(parent_name)
    if identity:
        volume_type, content_type = identity["volume_type"], identity["content_type"]
    if snapshot_uuid is None:
        snapshot_uuid = str(uuid.uuid5(SNAPSHOT_NAMESPACE, parent_name + "/" + user_name))
    try:
        return naming.volume_name(volume_type, content_type, snapshot_uuid, snapshot=True, scheme=scheme)
    except ValueError as err:
        raise ModuleFailure("uuid: %s" % err)


def create_snapshot(client, parent_name, parameters):
    """Snapshot ``parent_name`` (``parameters`` of createSnapshot, with a comment from snapshot_comment).

    A lost answer is settled by reading the snapshot back; "already exists", or a snapshot made
    by another run, raises Raced. Returns nothing: a caller that needs the snapshot reads it.
    """
    try:
        client.request("POST", "/volumes/" + parent_name, {"action": VOLUME_CREATE_SNAPSHOT, "parameters": parameters})
    except WsapiError as err:
        if err.code == EXISTENT_VOL:
            raise Raced(parameters["name"])
        if not err.unanswered:
            space = ("name: the snapshot CPG of %r has no space for snapshot %r; nothing was created. Free space in that CPG"
                     % (parent_name, parameters["name"]))
            raise create_refused(err, parameters["name"], space=space) or err
        snapshot = get_volume(client, parameters["name"])
        if snapshot is None:
            raise err
        if snapshot.get("copyOf") != parent_name or snapshot.get("comment") != parameters.get("comment"):
            raise Raced(parameters["name"])


def create_numbered_snapshot(client, parent_name, pattern, user_name, parameters, array_name_of):
    """Snapshot ``parent_name`` as ``user_name`` (the pattern's next number), or as the first number
    after it that no parallel run has taken; returns the array name of the snapshot made.

    Runs that snapshot one volume at once read the same snapshots and pick the same number; the array
    creates each name once and answers the others "already exists" (409/22). A name taken by a snapshot
    of the same parent is a parallel run's, so this run tries the next number without reading the
    snapshots again. Each number found taken is one more snapshot made by another run, so the tries are
    bounded by the runs at once (up to PATTERN_ATTEMPTS), not by the RACE_ATTEMPTS of module.run(),
    which ten runs at once used to exhaust. ``array_name_of(user_name)``: the array name of a user-facing name.
    """
    prefix, suffix = pattern.split("%d")
    number = int(user_name[len(prefix):len(user_name) - len(suffix)])
    for attempt in range(PATTERN_ATTEMPTS):
        user_name = pattern.replace("%d", str(number + attempt))
        name = array_name_of(user_name)
        try:
            create_snapshot(client, parent_name, dict(parameters, name=name, comment=snapshot_comment(user_name, client.run_id)))
            return name
        except Raced:
            taken = get_volume(client, name)
            if taken is None or taken.get("copyOf") != parent_name:
                raise
    raise Raced(name)


def snapshot_facts(snapshot, pool_name=None):
    """volume_facts() of a snapshot plus its parent and user-facing name."""
    facts = volume_facts(snapshot, pool_name)
    facts.update(parent=snapshot.get("copyOf"), snapshot_name=marks(snapshot).get("snapshot"))
    return facts


def direct_snapshots(client, parent):
    """Snapshots taken of ``parent`` itself (not of its snapshots), oldest first."""
    volumes = dict((v["name"], v) for v in client.members("/volumes", query='"copyOf EQ %s"' % parent))
    return [snapshot for snapshot in snapshots_of(volumes, parent) if snapshot.get("copyOf") == parent]
