# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every module shares: connection options, the run loop, pools and volume facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback
import uuid

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.alletra.storage.plugins.module_utils import naming
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import (
    HAS_REQUESTS,
    INV_INPUT_EXCEEDS_LENGTH,
    INV_INPUT_ILLEGAL_CHAR,
    NO_SPACE,
    NON_EXISTENT_SET,
    NON_EXISTENT_VOL,
    REQUESTS_IMPORT_ERROR,
    WsapiClient,
    WsapiError,
)

# Marks the volume sets this collection manages as pools, and what it needs to know about them.
POOL_MARKER = "alletra.storage:v1"
SNAPSHOT_MARKER = POOL_MARKER
# Namespace of the UUIDs (version 5) of snapshots named without an explicit uuid.
SNAPSHOT_NAMESPACE = uuid.UUID("8f6b2c1e-3d4a-5b6c-9d7e-0a1b2c3d4e5f")


def connection_argument_spec():
    """The connection options, documented once in the doc fragment alletra.storage.alletra."""
    return dict(
        wsapi_url=dict(type="str", required=True, fallback=(env_fallback, ["ALLETRA_WSAPI_URL"])),
        username=dict(type="str", required=True, fallback=(env_fallback, ["ALLETRA_USERNAME"])),
        password=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["ALLETRA_PASSWORD"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["ALLETRA_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["ALLETRA_CA_PATH"])),
        timeout=dict(type="int", default=30, fallback=(env_fallback, ["ALLETRA_TIMEOUT"])),
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
    params = module.params
    return WsapiClient(params["wsapi_url"], params["username"], params["password"],
                       validate_certs=params["validate_certs"], ca_path=params["ca_path"], timeout=params["timeout"])


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
    if err.status == 403 and err.code == 5:
        return "login refused: check username and password (%s)" % err
    return str(err)


# -- pools ----------------------------------------------------------------------------------
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


def find_pool(client, name, required=True):
    """The pool ``name`` as a dict (name, cpg, naming, members, comment), or None if absent.

    A volume set of that name that this collection did not create is refused, never adopted.
    """
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


def get_volume(client, name):
    return client.get_or_none("/volumes/" + name, NON_EXISTENT_VOL)


def volume_facts(volume, pool_name=None):
    """What a task needs to know of a volume: its LXD identity and what a host matches on."""
    identity = naming.decode_name(volume["name"]) or {}
    facts = dict(
        name=volume["name"],
        pool=pool_name,
        uuid=identity.get("uuid"),
        volume_type=identity.get("volume_type"),
        content_type=identity.get("content_type"),
        snapshot=identity.get("snapshot", volume.get("copyType") == 3),
        size_mib=volume.get("sizeMiB"),
        size=naming.format_mib(volume["sizeMiB"]) if volume.get("sizeMiB") else None,
        wwn=(volume.get("wwn") or "").upper() or None,
        nguid=(volume.get("nguid") or "").upper() or None,
        cpg=volume.get("userCPG"),
        read_only=bool(volume.get("readOnly")),
        copy_of=volume.get("copyOf") or None,
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
        (volume for volume in volumes.values() if volume.get("copyOf") == name and volume.get("copyType") == 3),
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
    refused when they are not empty and force is off. Each step names itself when it fails.
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
            client.request("PUT", "/volumesets/" + pool_name, {"action": 2, "setmembers": [name]})
            out_of_pool = True
        step = "delete volume %s" % name
        client.request("DELETE", "/volumes/" + name)
    except WsapiError as err:
        message = "deleting %s stopped at step '%s': %s" % (name, step, err)
        if out_of_pool:
            # Back into its pool, or the volume would be left on the array managed by nothing.
            try:
                client.request("PUT", "/volumesets/" + pool_name, {"action": 1, "setmembers": [name]})
                message += "; %s is back in pool %s" % (name, pool_name)
            except WsapiError as readd_error:
                message += "; putting %s back into pool %s failed too (%s): add it by hand" % (name, pool_name, readd_error)
        raise ModuleFailure(message, failed_step=step, wsapi_error=err.as_dict())


VOLUME_TYPE_CHOICES = ["container", "virtual-machine", "image", "custom"]
CONTENT_TYPE_CHOICES = ["filesystem", "block", "iso"]


def array_name(pool, name=None, uuid=None, volume_type=None, content_type=None, snapshot=False, field="name"):
    """The array name of a volume given by name, or by LXD identity in the pool's naming scheme."""
    if name:
        if not naming.valid_array_name(name):
            raise ModuleFailure("%s: %r is not a valid array volume name: use letters, digits, '.', '_' or '-', "
                                "not starting with '-'" % (field, name))
        return name
    try:
        return naming.volume_name(volume_type, content_type, uuid, snapshot=snapshot, scheme=pool["naming"])
    except ValueError as err:
        if field != "name":
            raise ModuleFailure("%s: %s" % (field, err))
        raise ModuleFailure("%s: %s" % ("uuid" if "UUID" in str(err) else "content_type", err))


def undo(client, created, pool_name=None, members=()):
    """Delete what this run created (newest first) after a failure; say what was done.

    ``members`` are the created volumes that were added to pool ``pool_name``.
    """
    left = []
    for name in reversed(created):
        if name in members:
            try:
                client.request("PUT", "/volumesets/" + pool_name, {"action": 2, "setmembers": [name]})
            except WsapiError:
                pass  # not a member: the failed step was adding it
        try:
            client.request("DELETE", "/volumes/" + name)
        except WsapiError as err:
            if err.code != NON_EXISTENT_VOL:
                left.append("%s (%s)" % (name, err))
    if left:
        return "undo could not delete what this run created: %s; delete it by hand" % ", ".join(left)
    return "what this run created was deleted again (%s)" % ", ".join(created)


def snapshot_comment(snapshot_name):
    """The comment that keeps a snapshot's user-facing name (snap0) on the array."""
    return "%s snapshot=%s" % (SNAPSHOT_MARKER, snapshot_name)


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
