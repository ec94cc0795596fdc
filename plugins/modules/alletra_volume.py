#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alletra_volume
short_description: Manage thin volumes in a pool on HPE Alletra
version_added: 0.1.0
description:
  - Creates, grows and deletes thin volumes in a pool made by M(alletra.storage.alletra_pool).
  - A volume is named either directly with O(name), or from its LXD identity (O(uuid), O(volume_type), O(content_type))
    exactly as LXD's C(alletra) driver names it, in the pool's naming scheme.
  - Sizes are rounded up to a multiple of 256 MiB, as LXD does.
  - Only volumes that are members of the named pool are ever changed or deleted. A volume this collection
    created for the pool and that a stopped run left outside every volume set (between creating it and adding
    it to the pool, or between taking it out and deleting it) is taken back into the pool, or deleted, by the next run.
  - When the array's answer to a create is lost or late, the volume is read back; one carrying this run's mark
    (its comment) is this run's. "Already exists" from a parallel run is read and compared, not a failure.
author:
  - alletra.storage contributors (@alletra-storage)
extends_documentation_fragment:
  - alletra.storage.alletra
  - alletra.storage.attributes
  - alletra.storage.volume
  - alletra.storage.bulk
options:
  size:
    description:
      - Size in LXD's notation (V(10GiB), V(512MiB), V(1.5TiB), V(10GB)) or in bytes.
      - Rounded up to a multiple of 256 MiB, at least 256 MiB. New volumes default to V(10GiB).
      - A larger size than the volume has grows it; a smaller one is refused, since volumes cannot shrink.
      - When omitted, an existing volume keeps its size.
      - A size of zero (V(0), V(0GiB)) means the default, as in LXD - V(10GiB) for a new volume; an existing volume keeps its size.
    type: str
  state:
    description:
      - V(present) creates or grows the volume; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - With O(state=absent), also delete the volume's snapshots and remove its exports to hosts.
      - Without it, a volume that has snapshots or is exported is refused.
    type: bool
    default: false
  source:
    description:
      - Create the volume as a copy of another volume of the array (a physical copy, done by array tasks).
      - Only used when the volume does not exist yet. An existing destination is never overwritten; with
        O(copy_snapshots=true) it must already have every snapshot of the source, or the task fails. The task
        warns that nothing was copied.
      - The destination is marked as an unfinished copy until the last copy task has finished. If a run stops
        part-way and cannot delete what it created, the next run with the same O(source) finishes the copy
        (keeping the snapshots already copied); a destination is never taken for a finished copy before that.
      - The destination is never smaller than the source.
      - The source may be a volume of one of LXD's pools (a volume set LXD created, see RV(alletra.storage.alletra_info#module:info.lxd_pools)),
        named by O(source.pool) and its array name or its LXD identity (LXD's own naming scheme); it is only read. The destination is
        always in a pool of this collection, since a task never changes an LXD pool or its volumes.
    type: dict
    suboptions:
      pool:
        description:
          - Pool of the source volume, this collection's or one of LXD's. Defaults to O(pool).
        type: str
      name:
        description:
          - Array name of the source volume. Mutually exclusive with O(source.uuid).
        type: str
      uuid:
        description:
          - LXD UUID of the source volume, with O(source.volume_type) and O(source.content_type).
        type: str
      volume_type:
        description:
          - LXD volume type of the source.
        type: str
        choices: [container, virtual-machine, image, custom]
        default: custom
      content_type:
        description:
          - LXD content type of the source.
        type: str
        choices: [filesystem, block, iso]
        default: filesystem
  source_snapshot:
    description:
      - Make the volume from this snapshot of O(source) (its user-facing name such as V(snap0), or its array name)
        instead of from the source volume itself.
      - The user-facing name of a snapshot LXD made is its own UUID (LXD's C(volatile.uuid) of the snapshot, as
        C(lxc storage volume get <pool> <type>/<volume>/<snapshot> volatile.uuid) shows it), with or without hyphens, in any case;
        LXD keeps the snapshot's name (V(snap0)) only in its database, and names it on the array from that UUID.
    type: str
  copy_snapshots:
    description:
      - Carry the source's snapshots, as LXD does, oldest first; each keeps its user-facing name (for an LXD snapshot, its UUID).
      - For each snapshot the module copies it into the destination and snapshots the destination; last it copies the source volume.
      - If a step fails, everything the task created is deleted again and the failure names the step.
    type: bool
    default: false
  task_timeout:
    description:
      - Seconds to wait for each copy task of the array. A task still running then is cancelled and the copy undone.
    type: int
    default: 3600
  volumes:
    description:
      - Several volumes of O(pool) in one task (the bulk form), each managed as the task manages the one volume of O(name)
        or O(uuid). Mutually exclusive with O(name) and O(uuid).
      - Each item is a dict of the options O(name) or O(uuid), O(volume_type), O(content_type), O(size), O(state), O(force),
        O(source), O(source_snapshot) and O(copy_snapshots), with their meaning and values here. An option an item leaves
        out takes the task's value, or its default; an item that sets O(source_snapshot) or O(copy_snapshots) takes
        neither from the task. The notes say how the items run.
    type: list
    elements: dict
    version_added: 0.3.0
"""

EXAMPLES = r"""
# Needs the pool lxd-pool (the first example of alletra.storage.alletra_pool creates it); the copy out of LXD's
# pool needs a pool lxdpool that LXD made, with that container.
- name: Create a custom block volume the way LXD names it
  alletra.storage.alletra_volume:
    pool: lxd-pool
    uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
    volume_type: custom
    content_type: block
    size: 20GiB
  register: data_volume

- name: Show what a host finds the volume by
  ansible.builtin.debug:
    msg: "{{ data_volume.volume.name }}: NVMe NGUID {{ data_volume.volume.nguid }}, SCSI WWN {{ data_volume.volume.wwn }}"

- name: Create a volume by array name with the default size (10GiB)
  alletra.storage.alletra_volume:
    pool: lxd-pool
    name: scratch01

- name: Grow it to 15GiB
  alletra.storage.alletra_volume:
    pool: lxd-pool
    name: scratch01
    size: 15GiB

- name: Make sure both volumes exist with their sizes, in one task and one session
  alletra.storage.alletra_volume:
    pool: lxd-pool
    volumes:
      - uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
        content_type: block
        size: 20GiB
      - name: scratch01
        size: 15GiB
  register: batch

- name: Show what the task did to each volume
  ansible.builtin.debug:
    msg: "{{ item.volume.name }} ({{ item.volume.size }}): {{ 'changed' if item.changed else 'as it was' }}"
  loop: "{{ batch.volumes }}"
  loop_control:
    label: "{{ item.item }}"

- name: Snapshot the block volume as snap0, for the copies below
  alletra.storage.alletra_snapshot:
    pool: lxd-pool
    volume_uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
    volume_type: custom
    content_type: block
    name: snap0

- name: Copy the block volume with its snapshots into another volume
  alletra.storage.alletra_volume:
    pool: lxd-pool
    uuid: 0c6f1d1e-8a47-4a39-9d55-3b0c1f6a2e11
    volume_type: custom
    content_type: block
    source:
      uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
      volume_type: custom
      content_type: block
    copy_snapshots: true

- name: Make a volume from a snapshot
  alletra.storage.alletra_volume:
    pool: lxd-pool
    name: from-snap0
    source:
      uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
      volume_type: custom
      content_type: block
    source_snapshot: snap0

- name: Copy a container out of LXD's pool lxdpool (only read), with its snapshots, into this collection's pool
  alletra.storage.alletra_volume:
    pool: lxd-pool
    name: backup-of-c1
    source:
      pool: lxdpool
      uuid: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
      volume_type: container
    copy_snapshots: true

- name: Delete a volume together with its snapshots
  alletra.storage.alletra_volume:
    pool: lxd-pool
    name: scratch01
    state: absent
    force: true

- name: Delete the copy of the container and its snapshots (LXD's pool is left as it is)
  alletra.storage.alletra_volume:
    pool: lxd-pool
    name: backup-of-c1
    state: absent
    force: true
"""

RETURN = r"""
volume:
  description: The volume after the task; empty when it is absent.
  returned: unless O(volumes) is given
  type: dict
  contains:
    name:
      description: Array name.
      type: str
      sample: u-5a2504b06a6c48498ee7ddb0b674fd14-b
    pool:
      description: Pool of the volume.
      type: str
      sample: lxd-pool
    uuid:
      description: LXD UUID decoded from the name; null for names that are not LXD-shaped.
      type: str
      sample: 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14
    volume_type:
      description: LXD volume type decoded from the name.
      type: str
      sample: custom
    content_type:
      description: LXD content type decoded from the name.
      type: str
      sample: block
    size_mib:
      description: Size in MiB.
      type: int
      sample: 20480
    size:
      description: Size in LXD's notation.
      type: str
      sample: 20GiB
    wwn:
      description: SCSI WWN (upper case); a host finds the iSCSI device by it. Null in check mode before creation.
      type: str
      sample: 60002AC0000000000000000A00021F6B
    nguid:
      description: NVMe namespace GUID (upper case); a host finds the NVMe device by it. Null in check mode before creation.
      type: str
      sample: 00021F6B0000000A2AC0000000000000
    cpg:
      description: CPG that holds the volume.
      type: str
      sample: SSD_r6
    copy_pending:
      description:
        - Source of a copy into this volume that has not finished (a run stopped part-way); null for a finished copy or any other volume.
        - Run the copy task again to finish it, or delete the volume.
      type: str
      sample: null
    snapshots:
      description: User-facing names of the volume's snapshots, oldest first.
      type: list
      elements: str
      sample: [snap0, snap1]
copied_from:
  description: What a copy was made from, and the snapshots it carried.
  returned: when the task copied a volume
  type: dict
  sample: {volume: u-5a2504b06a6c48498ee7ddb0b674fd14-b, snapshot: null, snapshots: [snap0, snap1]}
deleted_snapshots:
  description: Array names of the snapshots deleted with O(force=true).
  returned: when O(state=absent) deleted a volume
  type: list
  elements: str
  sample: [su-1b4e28ba2fa1411d9c6c1c0bc4e3a3f1]
volumes:
  description:
    - One entry per item of O(volumes), in order. Each has what the task returns for one volume (RV(volume),
      RV(copied_from) and RV(deleted_snapshots) when they apply, C(changed) and C(diff)), plus C(item) (the item as given)
      and C(failed); a failed item has C(msg), and C(failed_step) and C(wsapi_error) where the failure has them.
  returned: when O(volumes) is given
  type: list
  elements: dict
  sample:
    - {volume: {name: scratch01, size_mib: 15360, size: 15GiB, snapshots: []}, changed: false, failed: false, item: {name: scratch01}}
    - {volume: {}, deleted_snapshots: [], changed: true, failed: false, item: {name: scratch02, state: absent}}
"""

from ansible_collections.alletra.storage.plugins.module_utils import naming
from ansible_collections.alletra.storage.plugins.module_utils.bulk import ITEMS, BulkForm, name_items, run_items
from ansible_collections.alletra.storage.plugins.module_utils.exports import ExportReads, export_hosts
from ansible_collections.alletra.storage.plugins.module_utils.module import ModuleFailure, Raced, result, run
from ansible_collections.alletra.storage.plugins.module_utils.pools import check_pool_name, find_pool, marks, set_member
from ansible_collections.alletra.storage.plugins.module_utils.snapshots import (
    create_snapshot,
    direct_snapshots,
    is_named,
    snapshot_array_name,
    snapshot_comment,
    user_name_of,
)
from ansible_collections.alletra.storage.plugins.module_utils.volumes import (
    VolumeReads,
    array_name,
    copy_task,
    create_refused,
    create_volume,
    delete_volume,
    find_member,
    get_volume,
    name_volume_item,
    snapshots_of,
    undo_volume,
    volume_argument_spec,
    volume_comment,
    volume_facts,
    volume_identity_spec,
)
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import (
    TASK_ACTIVE,
    TASK_CANCEL,
    TASK_PRIORITY_HIGH,
    VOLUME_CREATE_PHYSICAL_COPY,
    VOLUME_GROW,
    VV_IN_TASK,
    WsapiError,
    WsapiTaskError,
)

# The options an item of ``volumes`` takes; the task's values of the same names are their defaults.
ITEM_KEYS = ("name", "uuid", "volume_type", "content_type", "size", "state", "force", "source", "source_snapshot", "copy_snapshots")
VIEW_KEYS = ("name", "pool", "uuid", "volume_type", "content_type", "size_mib", "size", "wwn", "nguid", "cpg", "copy_pending")


def volume_view(volume, pool_name, snapshots=None):
    if not volume:
        return {}
    facts = volume_facts(volume, pool_name)
    view = dict((key, facts[key]) for key in VIEW_KEYS)
    view["snapshots"] = [user_name_of(snapshot) for snapshot in snapshots or []]
    return view


def diff_view(view):
    """What a diff compares: the identifiers the array assigns are not part of the desired state."""
    return dict((key, value) for key, value in view.items() if key not in ("wwn", "nguid"))


def volume_result(before, after, changed=None, **returned):
    """The result: the volume after the task; changed and the diff compare their diff_view()s."""
    return result(diff_view(before), diff_view(after), changed, volume=after, **returned)


class Copy(object):
    """A copy of a volume (or of one of its snapshots), optionally with its snapshots, as LXD makes it.

    ``missing`` says why the source cannot be read (it, its pool or the named snapshot is gone);
    that only matters when the destination does not exist yet. The destination carries the mark
    ``copy=<source>`` until the copy has finished: a run that stops part-way leaves a volume that
    the next run finishes, never one that passes for a copy.
    """

    def __init__(self, module, client, pool, name, reads):
        params = module.params
        source = params["source"]
        self.client = client
        self.pool = pool
        self.name = name
        self.timeout = params["task_timeout"]
        self.volume_type = params["volume_type"]
        self.content_type = params["content_type"]
        self.source = self.origin = self.in_flight = None
        self.snapshots = []
        self.missing = None
        source_pool = pool if source["pool"] in (None, pool["name"]) else find_pool(
            client, source["pool"], required=False, field="source.pool", lxd=True)
        if source_pool is None:
            self.missing = "source: pool %r does not exist" % source["pool"]
            return
        source_name = array_name(source_pool, source["name"], source["uuid"], source["volume_type"], source["content_type"],
                                 field="source")
        self.source = find_member(client, source_pool, source_name, field="source", reads=reads)
        if self.source is None:
            self.missing = "source: pool %r has no volume %r" % (source_pool["name"], source_name)
            return
        snapshots = reads.direct_snapshots(source_name)
        self.origin = self.source
        if params["source_snapshot"]:
            self.origin = next((s for s in snapshots if is_named(s, params["source_snapshot"])), None)
            if self.origin is None:
                self.missing = "source_snapshot: volume %r has no snapshot %r; it has: %s" % (
                    source_name, params["source_snapshot"], ", ".join(user_name_of(s) for s in snapshots) or "none")
        self.snapshots = snapshots if params["copy_snapshots"] else []

    def plan(self):
        """(source snapshot, user-facing name, destination snapshot name) in order; checked before anything is made."""
        steps = []
        for snapshot in self.snapshots:
            user_name = user_name_of(snapshot)
            steps.append((snapshot, user_name, snapshot_array_name(
                self.name, user_name, None, self.volume_type, self.content_type, self.pool["naming"])))
        names = [step[2] for step in steps]
        if len(set(names)) != len(names):
            raise ModuleFailure("copy_snapshots: volume %r has several snapshots of the same name (%s); a copy cannot "
                                "carry them" % (self.source["name"], ", ".join(step[1] for step in steps)))
        return steps

    def summary(self):
        return dict(volume=self.source["name"], snapshot=user_name_of(self.origin) if self.origin is not self.source else None,
                    snapshots=[user_name_of(s) for s in self.snapshots])

    def size_mib(self, size_mib):
        """The destination's size: what was asked, never less than the source."""
        needed = naming.size_to_mib("%dMiB" % self.origin["sizeMiB"])
        if size_mib and size_mib < self.origin["sizeMiB"]:
            raise ModuleFailure("size: %s is smaller than the source %r (%s); a copy is never smaller than its source" % (
                naming.format_mib(size_mib), self.origin["name"], naming.format_mib(self.origin["sizeMiB"])))
        return max(size_mib or 0, needed)

    def check_existing(self, volume, reads):
        """An existing destination is left alone, but only if it has every snapshot the copy would carry."""
        if self.missing:
            return
        have = set(user_name_of(s) for s in reads.direct_snapshots(volume["name"]))
        missing = [user_name_of(s) for s in self.snapshots if user_name_of(s) not in have]
        if missing:
            raise ModuleFailure(
                "volume %r exists but lacks the source's snapshot(s) %s; it is not overwritten. Delete it to copy again, "
                "or choose another destination" % (volume["name"], ", ".join(missing)))

    def check_unfinished(self, volume):
        """An unfinished copy is finished only from the source it was started from."""
        pending = marks(volume).get("copy")
        if self.missing:
            raise ModuleFailure("volume %r is an unfinished copy of %r that cannot be finished: %s. Delete it "
                                "(state: absent) to copy again" % (volume["name"], pending, self.missing))
        if self.source["name"] != pending:
            raise ModuleFailure("volume %r is an unfinished copy of %r, not of %r: run the copy from %r again to finish "
                                "it, or delete it (state: absent)" % (volume["name"], pending, self.source["name"], pending))

    def run(self, size_mib, steps, existing=None):
        """Pre-create the destination, copy each snapshot and snapshot the destination, then copy the volume.

        With ``existing`` (an unfinished copy), the snapshots it already has are kept and the rest is done.
        """
        client, name = self.client, self.name
        if existing is None:
            create_volume(client, self.pool, name, size_mib, copy_of=self.source["name"])
        step = "read destination %s" % name
        try:
            done = set(s["name"] for s in direct_snapshots(client, name)) if existing else set()
            for snapshot, user_name, snapshot_name in steps:
                if snapshot_name in done:
                    continue
                step = "copy snapshot %s of %s into %s" % (user_name, self.source["name"], name)
                self.physical_copy(snapshot["name"])
                step = "snapshot %s as %s" % (name, user_name)
                self.snapshot_destination(snapshot, user_name, snapshot_name)
            step = "copy %s into %s" % (self.origin["name"], name)
            self.physical_copy(self.origin["name"])
            step = "mark %s as a finished copy" % name
            client.request("PUT", "/volumes/" + name, {"comment": volume_comment(self.pool["name"], client.run_id)},
                           idempotent=True)
        except (WsapiError, ModuleFailure) as err:
            raise ModuleFailure("copy to %r failed at step '%s': %s; %s" % (name, step, err, self.undo(existing is None)),
                                failed_step=step, wsapi_error=getattr(err, "as_dict", dict)())

    def undo(self, created):
        if not created:
            return "%s stays an unfinished copy: run the task again to finish it, or delete it (state: absent)" % self.name
        copying_from, task_id = self.in_flight or (None, None)
        return undo_volume(self.client, self.name, self.pool["name"], copying_from, task_id)

    def snapshot_destination(self, snapshot, user_name, snapshot_name):
        parameters = {"name": snapshot_name, "readOnly": bool(snapshot.get("readOnly")),
                      "comment": snapshot_comment(user_name, self.client.run_id)}
        try:
            create_snapshot(self.client, self.name, parameters)
        except Raced:
            # Taken by another run of this copy, after the same copy step: the same snapshot.
            made = get_volume(self.client, snapshot_name) or {}
            if made.get("copyOf") != self.name or user_name_of(made) != user_name:
                raise

    def physical_copy(self, source_name):
        """Copy ``source_name`` into the destination and wait until the array has finished."""
        self.in_flight = (source_name, None)
        task_id = self.start_copy(source_name)
        if task_id:
            self.in_flight = (source_name, task_id)
            self.wait(task_id)
        self.in_flight = None

    def start_copy(self, source_name):
        """Start the copy task and return its id.

        A lost answer, or a destination busy in a task, is settled by finding the copy task by its
        name; when there is none, the copy is started again (it copies the same data).
        """
        body = {"action": VOLUME_CREATE_PHYSICAL_COPY,
                "parameters": {"destVolume": self.name, "saveSnapshot": False, "priority": TASK_PRIORITY_HIGH}}
        try:
            return (self.client.request("POST", "/volumes/" + source_name, body) or {}).get("taskid")
        except WsapiError as err:
            if not (err.unanswered or err.code == VV_IN_TASK):
                raise
            task_id = copy_task(self.client, source_name, self.name)
            if task_id is None:
                return (self.client.request("POST", "/volumes/" + source_name, body) or {}).get("taskid")
            return task_id

    def wait(self, task_id):
        try:
            self.client.wait_task(task_id, timeout=self.timeout)
        except WsapiTaskError as err:
            if err.task is None or err.task.get("status") != TASK_ACTIVE:
                raise
            # The copy outlived its timeout: stop it so the destination can be undone.
            longer = "raise task_timeout (now %d s) for a copy that takes longer" % self.timeout
            try:
                self.client.request("PUT", "/tasks/%s" % task_id, {"action": TASK_CANCEL})
            except WsapiError as cancel_error:
                raise WsapiTaskError("%s; cancelling it failed: %s; %s" % (err, cancel_error, longer), task=err.task)
            raise WsapiTaskError("%s; it was cancelled: %s" % (err, longer), task=err.task)


def no_space_to_grow(volume, size_mib):
    """What a grow refused for want of space says: the volume, both sizes, the CPG, the fix."""
    cpg, old_size = volume.get("userCPG"), naming.format_mib(volume["sizeMiB"])
    return ("size: CPG %s has no space to grow volume %r from %s to %s; it keeps %s. Free space in CPG %s or give a "
            "smaller size" % (cpg, volume["name"], old_size, naming.format_mib(size_mib), old_size, cpg))


def grow(client, volume, size_mib):
    """Grow ``volume`` to ``size_mib``. A grow adds to the size, so it is never sent twice blindly:
    a lost answer is settled by reading the size back."""
    name = volume["name"]
    for attempt in (1, 2):
        try:
            client.request("PUT", "/volumes/" + name, {"action": VOLUME_GROW, "sizeMiB": size_mib - volume["sizeMiB"]})
            return
        except WsapiError as err:
            if not err.unanswered:
                raise create_refused(err, name, space=no_space_to_grow(volume, size_mib)) or err
            now = (get_volume(client, name) or {}).get("sizeMiB")
            if now == size_mib:
                return
            if now != volume["sizeMiB"] or attempt == 2:
                raise


def converge(module, client, pool, reads):
    """Create, copy, finish or grow the volume of ``module`` (the task, or an item of ``volumes``)."""
    name, size_mib = module.name, module.checked
    volume = find_member(client, pool, name, reads=reads)
    copy = Copy(module, client, pool, name, reads) if module.params["source"] else None
    if volume is None or marks(volume).get("copy"):
        return make(module, client, pool, name, size_mib, copy, volume, reads)
    return update(module, client, pool, volume, size_mib, copy, reads)


def make(module, client, pool, name, size_mib, copy, unfinished, reads):
    """Create the volume, or its copy; or finish a copy that a stopped run left ``unfinished``."""
    returned = {}
    if unfinished is not None:
        if copy is None:
            raise ModuleFailure(
                "volume %r is an unfinished copy of %r: run the copy task (source: %s) again to finish it, or delete it "
                "(state: absent)" % (name, marks(unfinished)["copy"], marks(unfinished)["copy"]))
        copy.check_unfinished(unfinished)
    elif copy and copy.missing:
        raise ModuleFailure(copy.missing)
    steps = []
    if copy:
        steps = copy.plan()
        size_mib = unfinished["sizeMiB"] if unfinished else copy.size_mib(size_mib)
        returned["copied_from"] = copy.summary()
    size_mib = size_mib or naming.size_to_mib(None)
    before = {}
    if unfinished and not unfinished.get("stray"):
        before = volume_view(unfinished, pool["name"], reads.direct_snapshots(name))
    if module.check_mode:
        planned = [dict(name="planned", comment=snapshot_comment(user_name_of(s))) for s in (copy.snapshots if copy else [])]
        after = volume_view({"name": name, "sizeMiB": size_mib, "userCPG": pool["cpg"]}, pool["name"], planned)
    else:
        if unfinished and unfinished.get("stray"):
            set_member(client, pool["name"], name)
        if copy:
            copy.run(size_mib, steps, existing=unfinished)
        else:
            create_volume(client, pool, name, size_mib)
        # A volume just created has no snapshots; a copy has those it carried.
        after = volume_view(get_volume(client, name), pool["name"], direct_snapshots(client, name) if copy else [])
    return volume_result(before, after, changed=True, **returned)


def update(module, client, pool, volume, size_mib, copy, reads):
    """An existing volume: back into its pool if it strayed, grown if asked; never shrunk or overwritten."""
    name = volume["name"]
    snapshots = reads.direct_snapshots(name)
    before = {} if volume.get("stray") else volume_view(volume, pool["name"], snapshots)
    if copy:
        copy.check_existing(volume, reads)
        module.warn("volume %r already exists: it is left as it is and nothing was copied into it. Delete it to copy "
                    "again, or choose another destination" % name)
    if size_mib and size_mib < volume["sizeMiB"]:
        raise ModuleFailure(
            "size: volume %r has %s and cannot shrink to %s; give a size of at least %s or omit size"
            % (name, naming.format_mib(volume["sizeMiB"]), naming.format_mib(size_mib), naming.format_mib(volume["sizeMiB"])))
    after = volume_view(volume, pool["name"], snapshots)
    if size_mib and size_mib != volume["sizeMiB"]:
        after.update(size_mib=size_mib, size=naming.format_mib(size_mib))
    if not module.check_mode and diff_view(before) != diff_view(after):
        if volume.get("stray"):
            set_member(client, pool["name"], name)
        if size_mib and size_mib != volume["sizeMiB"]:
            grow(client, volume, size_mib)
        after = volume_view(get_volume(client, name), pool["name"], snapshots)
    return volume_result(before, after)


def absent(module, client, pool, reads, exports):
    name = module.name
    volume = find_member(client, pool, name, reads=reads) if pool else None
    if volume is None:
        return volume_result({}, {})
    snapshots = snapshots_of(reads.every(), name)
    vluns = exports.vluns_of(name)
    # Export rules of the whole pool stay: taking the volume out of the set ends its part in them.
    pool_vluns = [] if volume.get("stray") else exports.pool_exports(pool["name"])
    if (snapshots or vluns or pool_vluns) and not module.params["force"]:
        reasons = []
        if snapshots:
            reasons.append("has %d snapshot(s): %s" % (len(snapshots), ", ".join(user_name_of(s) for s in snapshots)))
        if vluns:
            reasons.append("is exported to host(s): %s" % export_hosts(vluns))
        if pool_vluns:
            reasons.append("is exported with its pool's volume set to host(s): %s" % export_hosts(pool_vluns))
        raise ModuleFailure("volume %r %s. Set force: true to delete it anyway" % (name, " and ".join(reasons)))
    before = volume_view(volume, pool["name"], [s for s in snapshots if s.get("copyOf") == name])
    if not module.check_mode:
        delete_volume(client, name, None if volume.get("stray") else pool["name"], snapshots, vluns)
    return volume_result(before, {}, deleted_snapshots=[s["name"] for s in snapshots])


def check(params):
    """Every check that needs no request; returns the size asked for in MiB (or None)."""
    size_mib = None
    try:
        # A size of zero is LXD's default size: a new volume gets 10GiB, an existing one keeps its size.
        if params["size"] is not None and not naming.is_zero_size(params["size"]):
            size_mib = naming.size_to_mib(params["size"])
    except ValueError as err:
        raise ModuleFailure("size: %s" % err)
    # An argument_spec has no range check for integers.
    if params["task_timeout"] <= 0:
        raise ModuleFailure("task_timeout: must be a positive number of seconds, got %s" % params["task_timeout"])
    check_pool_name(params["pool"])
    # Any scheme validates the identities; the pools' own schemes are applied once they are read.
    array_name(dict(naming="lxd"), params["name"], params["uuid"], params["volume_type"], params["content_type"])
    source = params["source"]
    if source:
        if source["pool"] is not None:
            check_pool_name(source["pool"], field="source.pool")
        array_name(dict(naming="lxd"), source["name"], source["uuid"], source["volume_type"], source["content_type"], field="source")
    return size_mib


def refuse_conflicts(items, pool):
    """A copy from a volume that another item of the task deletes is refused before anything changes."""
    deleted = dict((item.name, item.index) for item in items if item.params["state"] == "absent")
    for item in items:
        source = item.params["source"]
        if not source or item.params["state"] != "present" or source["pool"] not in (None, pool["name"]):
            continue
        source_name = array_name(pool, source["name"], source["uuid"], source["volume_type"], source["content_type"], field="source")
        if source_name in deleted:
            raise ModuleFailure(item.prefixed("source: volume %r is deleted by %s[%d] of the same task; copy it in another "
                                              "task first" % (source_name, ITEMS, deleted[source_name])))


def action(module, client, items):
    pool = find_pool(client, module.params["pool"], required=any(item.params["state"] == "present" for item in items))
    name_items(items, lambda item: name_volume_item(item, pool))
    if pool:
        refuse_conflicts(items, pool)
    reads = VolumeReads(client, [item.name for item in items] if pool else [])
    exports = ExportReads(client, [item.name for item in items if item.params["state"] == "absent"], pool and pool["name"])

    def run_one(item):
        if item.params["state"] == "present":
            return converge(item, client, pool, reads)
        return absent(item, client, pool, reads, exports)

    return run_items(items, run_one, (reads, exports))


def main():
    spec = volume_argument_spec()
    spec.update(
        size=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        force=dict(type="bool", default=False),
        source=dict(type="dict", options=dict(
            pool=dict(type="str"), name=dict(type="str"), uuid=dict(type="str"), **volume_identity_spec()),
            mutually_exclusive=[("name", "uuid")], required_one_of=[("name", "uuid")]),
        source_snapshot=dict(type="str"),
        copy_snapshots=dict(type="bool", default=False),
        task_timeout=dict(type="int", default=3600),
    )
    form = BulkForm(
        spec, ITEM_KEYS, identity=("name", "uuid"),
        mutually_exclusive=[("name", "uuid"), ("source_snapshot", "copy_snapshots")],
        required_one_of=[("name", "uuid")],
        required_if=[("copy_snapshots", True, ("source",))],
        required_by=dict(source_snapshot="source"),
    )
    module = form.new_module()
    items = form.items(module, check)
    run(module, lambda client: action(module, client, items))


if __name__ == "__main__":
    main()
