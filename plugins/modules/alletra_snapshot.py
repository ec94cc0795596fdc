#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alletra_snapshot
short_description: Manage snapshots of volumes on HPE Alletra, and restore them
version_added: 0.1.0
description:
  - Creates, deletes and restores snapshots (virtual copies) of a volume in a pool made by M(alletra.storage.alletra_pool).
  - A snapshot has a user-facing name such as V(snap0), kept in its comment on the array, and an LXD-shaped array name
    (C(s) + the parent's type prefix + a UUID). Without O(uuid) the UUID is derived from the parent and the user-facing name
    (UUID version 5), so the array name is the same on every run.
author:
  - alletra.storage contributors (@alletra-storage)
extends_documentation_fragment:
  - alletra.storage.alletra
  - alletra.storage.attributes
  - alletra.storage.bulk
options:
  pool:
    description:
      - Pool of the parent volume.
    type: str
    required: true
  volume:
    description:
      - Array name of the parent volume. Mutually exclusive with O(volume_uuid) and O(volumes).
    type: str
  volume_uuid:
    description:
      - LXD UUID of the parent volume; with O(volume_type) and O(content_type) it gives the parent's array name.
      - Mutually exclusive with O(volumes).
    type: str
  volume_type:
    description:
      - LXD volume type of the parent, used with O(volume_uuid), and of the snapshot's array name when the parent's name is not LXD-shaped.
    type: str
    choices: [container, virtual-machine, image, custom]
    default: custom
  content_type:
    description:
      - LXD content type of the parent, used like O(volume_type).
    type: str
    choices: [filesystem, block, iso]
    default: filesystem
  name:
    description:
      - User-facing name of the snapshot, for example V(snap0).
      - Required unless O(pattern) is given with O(state=present).
    type: str
  uuid:
    description:
      - LXD UUID of the snapshot (its own C(volatile.uuid)), which gives its array name as LXD names it.
      - When omitted, a UUID is derived from the parent and O(name).
    type: str
  pattern:
    description:
      - Name a new snapshot from a pattern with a C(%d) placeholder, as LXD's C(snapshots.pattern) does
        (V(snap%d) gives V(snap0), then V(snap1), ...), taking the highest number among the parent's snapshots plus one.
      - Every run with O(pattern) creates a new snapshot. Runs on one volume at the same time each get a number of their own;
        a number another run takes first is skipped for the next one.
    type: str
  expiry:
    description:
      - When the snapshot expires, in LXD's C(snapshots.expiry) syntax, for example V(1d), V(2w), V(3H 30M)
        (C(M) minutes, C(H) hours, C(d) days, C(w) weeks, C(m) months, C(y) years). Rounded up to whole hours.
      - Applies when the snapshot is created.
    type: str
  read_only:
    description:
      - Create the snapshot read-only.
    type: bool
    default: true
  state:
    description:
      - V(present) creates the snapshot if needed; V(absent) deletes it.
      - V(restored) promotes the snapshot onto its parent, so the parent's data becomes the snapshot's again.
        A restore is an action, so it reports a change on every run.
    type: str
    choices: [present, absent, restored]
    default: present
  force:
    description:
      - With O(state=restored), restore even while the parent is exported to a host. Restoring under a mounted filesystem corrupts it.
      - With O(state=absent), also delete the snapshot's own snapshots and exports.
    type: bool
    default: false
  task_timeout:
    description:
      - Seconds to wait for the array's restore task (O(state=restored)), and for an earlier restore that keeps
        the volume busy.
      - A restore task still running then is not stopped, since a restore stopped half way would leave the volume
        holding neither its data nor the snapshot's. The task fails; the volume keeps its data until the array's
        task ends and then holds the snapshot's; running the task again waits for it.
    type: int
    default: 3600
  volumes:
    description:
      - Snapshots of several volumes of O(pool) in one task (the bulk form), each managed as the task manages the one
        snapshot of the volume of O(volume) or O(volume_uuid). Mutually exclusive with O(volume) and O(volume_uuid).
      - Each item is a dict of the options O(volume) or O(volume_uuid), O(volume_type), O(content_type), O(name) or
        O(pattern), O(uuid), O(expiry), O(read_only), O(state) and O(force), with their meaning and values here. An option
        an item leaves out takes the task's value, or its default; an item that sets O(name) or O(pattern) takes neither
        from the task. Items with a pattern for one parent are numbered one after the other.
      - The diff names each snapshot C(<parent array name>/<snapshot name>). The notes say how the items run.
    type: list
    elements: dict
    version_added: 0.3.0
"""

EXAMPLES = r"""
# Needs, in pool lxd-pool, the custom block volume with UUID 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14 and the
# volume scratch01 (the examples of alletra.storage.alletra_volume create them).
- name: Snapshot a custom volume as before-upgrade, expiring in two weeks
  alletra.storage.alletra_snapshot:
    pool: lxd-pool
    volume_uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
    volume_type: custom
    content_type: block
    name: before-upgrade
    expiry: 2w

- name: Take the next snapshot in the snap%d series
  alletra.storage.alletra_snapshot:
    pool: lxd-pool
    volume: scratch01
    pattern: snap%d
  register: next_snapshot

- name: Show the name the pattern gave
  ansible.builtin.debug:
    msg: "{{ next_snapshot.snapshot.snapshot_name }} is {{ next_snapshot.snapshot.name }} on the array"

- name: Make sure both volumes have a snapshot snap0, in one task and one session
  alletra.storage.alletra_snapshot:
    pool: lxd-pool
    name: snap0
    volumes:
      - volume_uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
        content_type: block
      - volume: scratch01

- name: Restore before-upgrade onto its volume (not while a host has the volume mounted)
  alletra.storage.alletra_snapshot:
    pool: lxd-pool
    volume_uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
    volume_type: custom
    content_type: block
    name: before-upgrade
    state: restored

- name: Delete before-upgrade
  alletra.storage.alletra_snapshot:
    pool: lxd-pool
    volume_uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
    volume_type: custom
    content_type: block
    name: before-upgrade
    state: absent
"""

RETURN = r"""
snapshot:
  description: The snapshot after the task; empty when it is absent.
  returned: unless O(volumes) is given
  type: dict
  contains:
    name:
      description: Array name of the snapshot.
      type: str
      sample: su-1b4e28ba2fa1411d9c6c1c0bc4e3a3f1-b
    snapshot_name:
      description: User-facing name.
      type: str
      sample: snap0
    uuid:
      description: UUID in the array name.
      type: str
      sample: 1b4e28ba-2fa1-411d-9c6c-1c0bc4e3a3f1
    parent:
      description: Array name of the parent volume.
      type: str
      sample: u-5a2504b06a6c48498ee7ddb0b674fd14-b
    created:
      description: Creation time (ISO 8601) as the array reports it; null in check mode before creation.
      type: str
      sample: "2026-11-24T18:00:00+00:00"
    expires:
      description: Expiry time (ISO 8601); null when the snapshot does not expire.
      type: str
      sample: "2026-12-08T18:00:00+00:00"
    read_only:
      description: Whether the snapshot is read-only.
      type: bool
      sample: true
snapshots:
  description: The parent's snapshots after the task, oldest first.
  returned: unless O(volumes) is given
  type: list
  elements: dict
  sample: [{name: su-1b4e28ba2fa1411d9c6c1c0bc4e3a3f1-b, snapshot_name: snap0}]
task:
  description: The array task of a restore.
  returned: when O(state=restored) and not in check mode
  type: dict
  sample: {id: 12, name: promote, status: 1}
volumes:
  description:
    - One entry per item of O(volumes), in order. Each has what the task returns for one snapshot (RV(snapshot),
      RV(snapshots), RV(task) for a restore, C(changed) and C(diff)), plus C(item) (the item as given) and C(failed);
      a failed item has C(msg), and C(failed_step) and C(wsapi_error) where the failure has them.
  returned: when O(volumes) is given
  type: list
  elements: dict
  sample:
    - {snapshot: {name: su-1b4e28ba2fa1411d9c6c1c0bc4e3a3f1, snapshot_name: snap0, parent: scratch01}, changed: false,
       failed: false, item: {volume: scratch01}}
"""

import functools
import time

from ansible_collections.alletra.storage.plugins.module_utils import naming
from ansible_collections.alletra.storage.plugins.module_utils.bulk import BulkForm, name_items, run_items
from ansible_collections.alletra.storage.plugins.module_utils.exports import ExportReads, export_hosts
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure, Raced, result, run
from ansible_collections.alletra.storage.plugins.module_utils.pools import check_pool_name, find_pool, refuse_lxd_member
from ansible_collections.alletra.storage.plugins.module_utils.snapshots import (
    create_numbered_snapshot,
    create_snapshot,
    snapshot_array_name,
    snapshot_comment,
    snapshot_facts,
    user_name_of,
)
from ansible_collections.alletra.storage.plugins.module_utils.volumes import (
    VolumeReads,
    array_name,
    delete_volume,
    get_volume,
    snapshots_of,
    volume_identity_spec,
)
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import (
    COPY_VIRTUAL,
    TASK_ACTIVE,
    VOLUME_PROMOTE,
    VV_IN_TASK,
    WsapiError,
    WsapiTaskError,
)

# The options an item of ``volumes`` takes; the task's values of the same names are their defaults.
ITEM_KEYS = ("volume", "volume_uuid", "volume_type", "content_type", "name", "uuid", "pattern", "expiry", "read_only", "state", "force")


def snapshot_view(snapshot, pool_name):
    if not snapshot:
        return {}
    facts = snapshot_facts(snapshot, pool_name)
    return dict((key, facts[key]) for key in ("name", "snapshot_name", "uuid", "parent", "created", "expires", "read_only"))


def diff_view(view):
    return dict((key, value) for key, value in view.items() if key != "created")


def snapshot_result(before, after, existing, pool_name, **returned):
    """The result: the snapshot after the task and the parent's snapshots; changed and the diff
    compare the diff_view()s of the snapshot before and after."""
    return result(diff_view(before), diff_view(after), snapshot=after,
                  snapshots=[snapshot_view(snapshot, pool_name) for snapshot in existing], **returned)


def parent_name_of(params, pool):
    return array_name(pool, params["volume"], params["volume_uuid"], params["volume_type"], params["content_type"], field="volume")


def name_item(item, pool):
    """What an item names: its parent, and its snapshot's array name unless a pattern without uuid
    numbers it on the array. Returns that array name: two items must not name the same snapshot."""
    params = item.params
    parent_name = parent_name_of(params, pool)
    item.name = "%s/%s" % (parent_name, params["name"] or params["pattern"])
    if params["name"] is None and params["uuid"] is None:
        item.names = (parent_name,)
        return None
    name_on_array = snapshot_array_name(parent_name, params["name"] or "check", params["uuid"], params["volume_type"],
                                        params["content_type"], pool["naming"])
    item.names = (parent_name, name_on_array)
    return name_on_array


def resolve(module, client, pool, reads):
    """The parent, the snapshot's user-facing name, its array name, the snapshot if it exists, the parent's snapshots.

    A snapshot is the same one when its array name or its user-facing name matches: snap0 taken
    with an explicit uuid is found by name alone later, and no second snap0 is ever made.
    """
    params = module.params
    parent_name = parent_name_of(params, pool)
    parent = reads.volume(parent_name)
    if parent is None or parent_name not in pool["members"]:
        if parent is not None:
            refuse_lxd_member(client, parent_name, "volume")
        raise ModuleFailure("volume: %r is not a volume of pool %r: name one of its volumes, or create it first with "
                            "alletra.storage.alletra_volume" % (parent_name, pool["name"]))
    existing = reads.direct_snapshots(parent_name)
    user_name = params["name"]
    if user_name is None:
        taken = [user_name_of(s) for s in existing]
        try:
            user_name = params["pattern"].replace("%d", str(naming.snapshot_pattern_next(params["pattern"], taken)))
        except ValueError as err:
            raise ModuleFailure("pattern: %s" % err)
    name_on_array = snapshot_array_name(parent_name, user_name, params["uuid"], params["volume_type"], params["content_type"], pool["naming"])
    snapshot = next((s for s in existing if s["name"] == name_on_array), None)
    if snapshot is not None and user_name_of(snapshot) != user_name:
        if params["name"] is not None:
            raise ModuleFailure("uuid: %s names snapshot %r of %r, not %r" % (
                params["uuid"], user_name_of(snapshot), parent_name, user_name))
        # pattern with a uuid, run again: the snapshot of that uuid was numbered the first time.
        user_name = user_name_of(snapshot)
    if snapshot is None:
        snapshot = next((s for s in existing if user_name_of(s) == user_name), None)
        if snapshot is not None and params["uuid"] is not None:
            raise ModuleFailure(
                "uuid: volume %r already has a snapshot %r (array name %s) made with another UUID; give that "
                "snapshot's UUID or omit uuid" % (parent_name, user_name, snapshot["name"]))
    module.name = "%s/%s" % (parent_name, user_name)
    return parent, user_name, name_on_array, snapshot, existing


def present(module, client, pool, reads, exports):
    params = module.params
    parent, user_name, name_on_array, snapshot, existing = resolve(module, client, pool, reads)
    # A pattern's number that a parallel run takes meanwhile is settled when creating: the next number is tried.
    numbered = params["pattern"] is not None and params["uuid"] is None and not module.check_mode
    if snapshot is None:
        other = reads.volume(name_on_array)
        if other is not None and other.get("copyOf") != parent["name"]:
            raise ModuleFailure("name: array volume %r exists but is not a snapshot of %r; it is left alone" % (name_on_array, parent["name"]))
        if other is not None and not numbered:
            raise Raced(name_on_array)  # made by a parallel run since the snapshots were listed
    before = snapshot_view(snapshot, pool["name"])
    if snapshot is not None:
        if bool(snapshot.get("readOnly")) != params["read_only"]:
            raise ModuleFailure(
                "read_only: snapshot %r of %r exists and is %s; a snapshot cannot change that. Delete it and create it again"
                % (user_name, parent["name"], "read-only" if snapshot.get("readOnly") else "writable"))
        after = before
    else:
        parameters = {"name": name_on_array, "readOnly": params["read_only"], "comment": snapshot_comment(user_name, client.run_id)}
        hours = naming.expiry_to_hours(params["expiry"])
        if hours:
            parameters["expirationHours"] = hours
        if module.check_mode:
            after = snapshot_view(dict(name=name_on_array, copyOf=parent["name"], copyType=COPY_VIRTUAL, readOnly=params["read_only"],
                                       comment=parameters["comment"]), pool["name"])
        else:
            if numbered:
                name_on_array = create_numbered_snapshot(client, parent["name"], params["pattern"], user_name, parameters, functools.partial(
                    snapshot_array_name, parent["name"], snapshot_uuid=None, volume_type=params["volume_type"],
                    content_type=params["content_type"], scheme=pool["naming"]))
            else:
                create_snapshot(client, parent["name"], parameters)
            snapshot = get_volume(client, name_on_array)
            existing.append(snapshot)
            after = snapshot_view(snapshot, pool["name"])
    return snapshot_result(before, after, existing, pool["name"])


def send_promote(client, snapshot_name, promote, timeout):
    """Start a restore. Restoring twice from one snapshot gives the same data, so a lost answer is
    settled by sending it again; while an earlier restore keeps the volume busy, that one is waited for."""
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        try:
            return client.request("PUT", "/volumes/" + snapshot_name, promote, idempotent=True) or {}
        except WsapiError as err:
            if err.code != VV_IN_TASK or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def restored(module, client, pool, reads, exports):
    parent, user_name, dummy_name_on_array, snapshot, existing = resolve(module, client, pool, reads)
    if snapshot is None:
        raise ModuleFailure("name: volume %r has no snapshot %r to restore: name one of its snapshots: %s" % (
            parent["name"], user_name, ", ".join(user_name_of(s) for s in existing) or "it has none"))
    vluns = exports.vluns_of(parent["name"]) + exports.pool_exports(pool["name"])
    if vluns and not module.params["force"]:
        raise ModuleFailure(
            "volume %r is exported to host(s) %s; restoring under a mounted filesystem corrupts it. "
            "Detach it first, or set force: true" % (parent["name"], export_hosts(vluns)))
    # A restore is an action: the diff shows what the parent was restored from.
    restore = result(dict(parent=parent["name"], restored_from=None), dict(parent=parent["name"], restored_from=user_name),
                     changed=True, snapshot=snapshot_view(snapshot, pool["name"]),
                     snapshots=[snapshot_view(s, pool["name"]) for s in existing])
    if not module.check_mode:
        promote = {"action": VOLUME_PROMOTE}
        if vluns:
            # The array refuses to promote onto an exported parent (409/34) unless told it is online.
            promote["online"] = True
        answer = send_promote(client, snapshot["name"], promote, module.params["task_timeout"])
        if answer.get("taskid"):
            restore["task"] = wait_restore(client, answer["taskid"], user_name, parent["name"], module.params["task_timeout"])
    return restore


def wait_restore(client, task_id, user_name, parent_name, timeout):
    """Wait for the restore task. One that outlives ``timeout`` is left to finish: a promote stopped
    half way would leave the volume holding neither its data nor the snapshot's."""
    try:
        return client.wait_task(task_id, timeout=timeout)
    except WsapiTaskError as err:
        if err.task is None or err.task.get("status") != TASK_ACTIVE:
            raise ModuleFailure("restoring %r onto %r: %s" % (user_name, parent_name, err), failed_step="restore task")
        raise ModuleFailure(
            "restoring %r onto %r: %s. The restore goes on on the array: %r holds its data as it was until the task ends, "
            "then %r's. Raise task_timeout (now %d s) to wait for it; running this task again waits for it too"
            % (user_name, parent_name, err, parent_name, user_name, timeout), failed_step="restore task")
    except WsapiError as err:
        raise ModuleFailure("restoring %r onto %r: %s" % (user_name, parent_name, err), failed_step="restore task")


def absent(module, client, pool, reads, exports):
    parent, user_name, dummy_name_on_array, snapshot, existing = resolve(module, client, pool, reads)
    if snapshot is None:
        return snapshot_result({}, {}, existing, pool["name"])
    children = snapshots_of(reads.every(), snapshot["name"])
    vluns = exports.vluns_of(snapshot["name"])
    if (children or vluns) and not module.params["force"]:
        reasons = []
        if children:
            reasons.append("has %d snapshot(s) of its own" % len(children))
        if vluns:
            reasons.append("is exported to host(s) %s" % export_hosts(vluns))
        raise ModuleFailure("snapshot %r of %r %s. Set force: true to delete it anyway" % (user_name, parent["name"], " and ".join(reasons)))
    if not module.check_mode:
        delete_volume(client, snapshot["name"], None, children, vluns)
    return snapshot_result(snapshot_view(snapshot, pool["name"]), {}, [s for s in existing if s["name"] != snapshot["name"]], pool["name"])


ACTIONS = dict(present=present, absent=absent, restored=restored)


def action(module, client, items):
    pool = find_pool(client, module.params["pool"])
    name_items(items, lambda item: name_item(item, pool))
    reads = VolumeReads(client, [name for item in items for name in item.names])
    # Restores read the parent's exports; deletes those of the snapshot.
    exports = ExportReads(client, [item.names[0 if item.params["state"] == "restored" else -1] for item in items
                                   if item.params["state"] != "present"], pool["name"])
    return run_items(items, lambda item: ACTIONS[item.params["state"]](item, client, pool, reads, exports), (reads, exports))


def check(params):
    """Every check that needs no request."""
    # Not required_if=[("state", "absent", ["name"]), ("state", "restored", ["name"])], which would
    # hold the same rule since name and pattern exclude each other: its message ("state is absent
    # but all of the following are missing: name") does not say that the pattern given is the problem.
    if params["pattern"] is not None and params["state"] != "present":
        raise ModuleFailure("pattern: only used to create a snapshot (state: present); name the snapshot to %s it" % params["state"])
    if params["pattern"] is not None and "%d" not in params["pattern"]:
        raise ModuleFailure("pattern: %r has no %%d placeholder for the snapshot number: add one, for example snap%%d" % params["pattern"])
    # An argument_spec has no range check for integers.
    if params["task_timeout"] <= 0:
        raise ModuleFailure("task_timeout: must be a positive number of seconds, got %s" % params["task_timeout"])
    try:
        naming.expiry_to_hours(params["expiry"])
    except ValueError as err:
        raise ModuleFailure("expiry: %s" % err)
    check_pool_name(params["pool"])
    array_name(dict(naming="lxd"), params["volume"], params["volume_uuid"], params["volume_type"], params["content_type"], field="volume")
    if params["uuid"] is not None:
        snapshot_array_name("check", params["name"] or "check", params["uuid"], params["volume_type"], params["content_type"], "lxd")


def main():
    form = BulkForm(
        dict(
            pool=dict(type="str", required=True),
            volume=dict(type="str"),
            volume_uuid=dict(type="str"),
            name=dict(type="str"),
            uuid=dict(type="str"),
            pattern=dict(type="str"),
            expiry=dict(type="str"),
            read_only=dict(type="bool", default=True),
            state=dict(type="str", default="present", choices=["present", "absent", "restored"]),
            force=dict(type="bool", default=False),
            task_timeout=dict(type="int", default=3600),
            **volume_identity_spec()
        ),
        ITEM_KEYS, identity=("volume", "volume_uuid"),
        mutually_exclusive=[("volume", "volume_uuid"), ("name", "pattern")],
        required_one_of=[("volume", "volume_uuid"), ("name", "pattern")],
    )
    module = form.new_module()
    items = form.items(module, check)
    run(module, lambda client: action(module, client, items))


if __name__ == "__main__":
    main()
