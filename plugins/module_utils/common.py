# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every module shares: connection options, the run loop, pools and volume facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import re
import traceback
import uuid

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.alletra.storage.plugins.module_utils import naming
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import (
    COPY_VIRTUAL,
    EXISTENT_VOL,
    HAS_REQUESTS,
    HTTP_FORBIDDEN,
    INV_INPUT_EXCEEDS_LENGTH,
    INV_INPUT_ILLEGAL_CHAR,
    INV_USER_PASS,
    MEMBER_IN_SET,
    MEMBER_NOT_IN_SET,
    NO_SPACE,
    NON_EXISTENT_SET,
    NON_EXISTENT_VOL,
    REQUESTS_IMPORT_ERROR,
    SET_ADD_MEMBER,
    SET_REMOVE_MEMBER,
    TASK_ACTIVE,
    TASK_CANCEL,
    WsapiClient,
    WsapiError,
    WsapiTaskError,
)

# Marks the volume sets this collection manages as pools, and what it needs to know about them.
POOL_MARKER = "alletra.storage:v1"
SNAPSHOT_MARKER = POOL_MARKER
# Namespace of the UUIDs (version 5) of snapshots named without an explicit uuid.
SNAPSHOT_NAMESPACE = uuid.UUID("8f6b2c1e-3d4a-5b6c-9d7e-0a1b2c3d4e5f")
# Volume set names: what the array takes, as a full match (a trailing newline is not a name).
SET_NAME = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]{0,30}")
# How often a create that lost a race to another run is tried again with what that run made.
RACE_ATTEMPTS = 8


def connection_argument_spec():
    """The connection options, documented once in the doc fragment alletra.storage.alletra."""
    return dict(
        wsapi_url=dict(type="str", required=True, fallback=(env_fallback, ["ALLETRA_WSAPI_URL"])),
        username=dict(type="str", required=True, fallback=(env_fallback, ["ALLETRA_USERNAME"])),
        password=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["ALLETRA_PASSWORD"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["ALLETRA_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["ALLETRA_CA_PATH"])),
        timeout=dict(type="int", default=30, fallback=(env_fallback, ["ALLETRA_TIMEOUT"])),
        allow_http=dict(type="bool", default=False, fallback=(env_fallback, ["ALLETRA_ALLOW_HTTP"])),
    )


def new_module(argument_spec, **kwargs):
    """An AnsibleModule with the connection options and check mode."""
    spec = connection_argument_spec()
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **kwargs)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception="".join(
            traceback.format_exception(type(REQUESTS_IMPORT_ERROR), REQUESTS_IMPORT_ERROR, None)))
    if module.params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds, got %s" % module.params["timeout"])
    return module


class ModuleFailure(Exception):
    """A refusal or a failed step, reported by run() as the module's failure."""

    def __init__(self, msg, **details):
        super(ModuleFailure, self).__init__(msg)
        self.msg = msg
        self.details = details


def client_for(module):
    """A WSAPI client for the module's connection options; no request is sent yet.

    Options the client refuses (an http:// wsapi_url without allow_http, a ca_path that is not a
    readable file) fail the module here; an unencrypted or unverified connection makes it warn.
    """
    params = module.params
    try:
        client = WsapiClient(params["wsapi_url"], params["username"], params["password"],
                             validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                             timeout=params["timeout"], allow_http=params["allow_http"])
    except WsapiError as err:
        module.fail_json(msg=str(err))
    for warning in client.warnings:
        module.warn(warning)
    return client


def run(module, action):
    """Run ``action(client)`` in one WSAPI session and exit the module with its result.

    The session is deleted before the module exits, whatever happens.
    """
    try:
        with client_for(module) as client:
            result = action(client)
    except ModuleFailure as failure:
        module.fail_json(msg=failure.msg, **failure.details)
    except WsapiError as err:
        module.fail_json(msg=_explain(err), wsapi_error=err.as_dict())
    module.exit_json(**result)


def _explain(err):
    if err.status == HTTP_FORBIDDEN and err.code == INV_USER_PASS:
        return "login refused: check username and password (%s)" % err
    return str(err)


class Raced(ModuleFailure):
    """Another run created the object first ("already exists"): callers read it and compare instead
    of failing; one that cannot is a plain failure that says so."""

    def __init__(self, name):
        super(Raced, self).__init__("%r was created by another run at the same time; run the task again" % (name,))
        self.name = name


# -- pools ----------------------------------------------------------------------------------
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


def find_pool(client, name, required=True):
    """The pool ``name`` as a dict (name, cpg, naming, members, comment), or None if absent.

    A volume set of that name that this collection did not create is refused, never adopted.
    """
    check_pool_name(name)
    volume_set = client.get_or_none("/volumesets/" + name, NON_EXISTENT_SET)
    if volume_set is None:
        if required:
            raise ModuleFailure("pool %r does not exist: create it first with alletra.storage.alletra_pool" % name)
        return None
    settings = parse_marked_comment(volume_set.get("comment"))
    if settings is None or not settings.get("cpg"):
        raise ModuleFailure(
            "volume set %r exists on the array but was not created by alletra.storage (its comment %r has no %r marker); "
            "it is left alone. Choose another pool name" % (name, volume_set.get("comment") or "", POOL_MARKER))
    return dict(
        name=volume_set["name"],
        cpg=settings["cpg"],
        naming=settings.get("naming", naming.SCHEME_LXD),
        members=list(volume_set.get("setmembers") or []),
        comment=volume_set.get("comment") or "",
    )


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
    """The names of the volume sets that have volume ``name`` as a member."""
    return [item["name"] for item in client.members("/volumesets") if name in (item.get("setmembers") or [])]


def is_stray(client, volume, pool_name):
    """True for a volume this collection made for pool ``pool_name`` that is in no volume set.

    Its run stopped between creating it and adding it to the pool, or between taking it out of
    the pool and deleting it: it is the pool's, and a later run finishes the job.
    """
    return (volume.get("copyType") != COPY_VIRTUAL and marks(volume).get("pool") == pool_name
            and not volume_sets_of(client, volume["name"]))


def strays_of(client, volumes, pool):
    """The stray volumes (see is_stray) of ``pool`` among ``volumes`` (all_volumes())."""
    candidates = [volume for name, volume in sorted(volumes.items())
                  if name not in pool["members"] and volume.get("copyType") != COPY_VIRTUAL
                  and marks(volume).get("pool") == pool["name"]]
    if not candidates:
        return []
    in_sets = set()
    for item in client.members("/volumesets"):
        in_sets.update(item.get("setmembers") or [])
    return [volume for volume in candidates if volume["name"] not in in_sets]


# -- volumes --------------------------------------------------------------------------------
def get_volume(client, name):
    return client.get_or_none("/volumes/" + name, NON_EXISTENT_VOL)


def volume_comment(pool_name, run_id, copy_of=None):
    """The comment of a volume this collection creates: its pool, the run that made it, and
    ``copy=<source>`` until a copy into it has finished."""
    words = [POOL_MARKER, "pool=%s" % pool_name, "run=%s" % run_id]
    if copy_of:
        words.append("copy=%s" % copy_of)
    return " ".join(words)


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
            raise create_refused(err, name) or err
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
    facts = dict(
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
    return facts


def all_volumes(client):
    """Every volume and snapshot of the array in one request, by name."""
    return dict((volume["name"], volume) for volume in client.members("/volumes"))


def snapshots_of(volumes, name):
    """The snapshots (virtual copies) of ``name``, children before their parents, oldest first."""
    children = sorted(
        (volume for volume in volumes.values() if volume.get("copyOf") == name and volume.get("copyType") == COPY_VIRTUAL),
        key=lambda volume: (volume.get("creationTimeSec") or 0, volume.get("id") or 0))
    ordered = []
    for child in children:
        ordered.extend(snapshots_of(volumes, child["name"]))
        ordered.append(child)
    return ordered


def vluns_of(client, volume_name):
    """The export rules (template vLUNs) of a volume."""
    vluns = client.members("/vluns", query='"volumeName EQ %s"' % volume_name)
    return [vlun for vlun in vluns if vlun.get("volumeName") == volume_name and not vlun.get("active")]


def pool_exports(client, pool_name):
    """The export rules of a pool's whole volume set (``set:<pool>``): they export every member."""
    return vluns_of(client, "set:" + pool_name)


def export_hosts(vluns):
    """The hosts of export rules, for messages."""
    return ", ".join(sorted(set(vlun.get("hostname") or "?" for vlun in vluns)))


def vlun_id(vlun):
    """The id of a vLUN in DELETE /vluns/<vol>,<lun>,<host>[,<n:s:p>]."""
    parts = [vlun["volumeName"], str(vlun["lun"]), vlun.get("hostname") or ""]
    port = vlun.get("portPos")
    if port and not vlun.get("hostname"):
        parts.append("%s:%s:%s" % (port["node"], port["slot"], port["cardPort"]))
    return ",".join(parts)


def delete_volume(client, name, pool_name, snapshots, vluns):
    """Delete a volume and, in order, what the caller agreed to delete with it.

    ``snapshots`` and ``vluns`` come from snapshots_of() and vluns_of(); the caller has already
    refused when they are not empty and force is off. The volume leaves its pool only right
    before its own delete, and goes back into it when that delete fails: it is never left on the
    array outside its pool. Each step names itself when it fails.
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
        if err.status != 400:  # 400: the task has already ended
            raise
    try:
        client.wait_task(task_id, timeout=60, poll_interval=0.5)
    except WsapiTaskError as err:
        if err.task is None or err.task.get("status") == TASK_ACTIVE:
            raise
    except WsapiError:
        pass  # the array took the cancel; if the task still holds the volume, its delete says so


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


VOLUME_TYPE_CHOICES = ["container", "virtual-machine", "image", "custom"]
CONTENT_TYPE_CHOICES = ["filesystem", "block", "iso"]


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


# -- snapshots ------------------------------------------------------------------------------
def snapshot_comment(snapshot_name, run_id=None):
    """The comment that keeps a snapshot's user-facing name (snap0) on the array, and the run that made it."""
    comment = "%s snapshot=%s" % (SNAPSHOT_MARKER, snapshot_name)
    return comment + " run=%s" % run_id if run_id else comment


def create_snapshot(client, parent_name, parameters):
    """Snapshot ``parent_name`` (``parameters`` of createSnapshot, with a comment from snapshot_comment).

    A lost answer is settled by reading the snapshot back; "already exists", or a snapshot made
    by another run, raises Raced.
    """
    try:
        client.request("POST", "/volumes/" + parent_name, {"action": "createSnapshot", "parameters": parameters})
    except WsapiError as err:
        if err.code == EXISTENT_VOL:
            raise Raced(parameters["name"])
        if not err.unanswered:
            raise create_refused(err, parameters["name"]) or err
        snapshot = get_volume(client, parameters["name"])
        if snapshot is None:
            raise err
        if snapshot.get("copyOf") != parent_name or snapshot.get("comment") != parameters.get("comment"):
            raise Raced(parameters["name"])
    return get_volume(client, parameters["name"])


def snapshot_facts(snapshot, pool_name=None):
    """volume_facts() of a snapshot plus its parent and user-facing name."""
    facts = volume_facts(snapshot, pool_name)
    settings = parse_marked_comment(snapshot.get("comment")) or {}
    facts.update(parent=snapshot.get("copyOf"), snapshot_name=settings.get("snapshot"))
    return facts


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


def direct_snapshots(client, parent):
    """Snapshots taken of ``parent`` itself (not of its snapshots), oldest first."""
    volumes = dict((v["name"], v) for v in client.members("/volumes", query='"copyOf EQ %s"' % parent))
    return [snapshot for snapshot in snapshots_of(volumes, parent) if snapshot.get("copyOf") == parent]


def user_name_of(snapshot):
    """The user-facing name of a snapshot; its array name when it was not made by this collection."""
    return (parse_marked_comment(snapshot.get("comment")) or {}).get("snapshot") or snapshot["name"]


def create_refused(err, name, field="name"):
    """A create the array refused for the name or the space, told in terms of the task's parameters."""
    if err.code == INV_INPUT_EXCEEDS_LENGTH:
        return ModuleFailure("%s: the array refuses %r as too long (%d characters): %s" % (field, name, len(name), err.desc),
                             wsapi_error=err.as_dict())
    if err.code == INV_INPUT_ILLEGAL_CHAR:
        return ModuleFailure("%s: the array refuses characters of %r: %s" % (field, name, err.desc), wsapi_error=err.as_dict())
    if err.code == NO_SPACE:
        return ModuleFailure("size: the CPG has no space for %r: %s" % (name, err.desc), wsapi_error=err.as_dict())
    return None


def settle_races(action):
    """Run ``action()`` again, from a fresh read, when it lost a create race to another run (Raced)."""
    for attempt in range(RACE_ATTEMPTS):
        try:
            return action()
        except Raced:
            if attempt + 1 == RACE_ATTEMPTS:
                raise
