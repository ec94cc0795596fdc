"""Snapshots (virtual copies) and physical copies: POST /volumes/<name> (createSnapshot, createPhysicalCopy)
and the PUT /volumes/<name> actions on copies (1 stop, 2 resync, 4 promote)."""

from .. import errors
from ..errors import IN_USE, INV_INPUT, INV_OPERATION_UNSUPPORTED_VV_TYPE, WsapiError
from ..validation import check_members
from .common import (COPY_PHYSICAL, COPY_VIRTUAL, PROV_FULL, PROV_SNP, TASK_ONLINE_COPY, TASK_PROMOTE_SV,
                     TASK_RESYNC, TASK_VV_COPY, attach_copy, detach_copy)

# The body of POST /volumes/<name> and POST /volumesets/<name>.
ACTION_BODY = {"action": "str", "parameters": "dict"}


def check_priority(body):
    """A task priority, when given, is 1 (high), 2 (medium) or 3 (low)."""
    if body.get("priority") not in (None, 1, 2, 3):
        raise errors.bad_enum("priority")


class Snapshots:
    """Mixin of ArrayState: creating snapshots and copies, and the copy tasks' volume actions."""

    SNAPSHOT_PARAMS = {"name": "str", "id": "int", "comment": "str", "readOnly": "bool", "expirationHours": "int",
                       "retentionHours": "int"}
    COPY_OFFLINE = {"destVolume": "str", "online": "bool", "saveSnapshot": "bool", "priority": "int"}
    COPY_ONLINE = {"destVolume": "str", "destCPG": "str", "online": "bool", "tpvv": "bool", "tdvv": "bool",
                   "reduce": "bool", "compression": "bool", "snapCPG": "str", "saveSnapshot": "bool",
                   "priority": "int"}

    def volume_action(self, name, body, user=None):
        """POST /volumes/<name>: createSnapshot or createPhysicalCopy."""
        body = check_members(body, ACTION_BODY, required=("action", "parameters"))
        if body["action"] == "createSnapshot":
            base = self._vol(name)
            params = check_members(body["parameters"], self.SNAPSHOT_PARAMS, required=("name",))
            self._check_vol_name(params["name"])
            if params["name"] in self.db["volumes"]:
                raise errors.exists("volume", params["name"])
            self._snapshot(base, params["name"], params)
            self.dirty = True
            return 201, None, {"Location": "/api/v1/volumes/" + params["name"]}
        if body["action"] == "createPhysicalCopy":
            return self._physical_copy(name, body["parameters"], user)
        raise errors.bad_enum("action")

    def _snapshot(self, base, snap_name, params):
        """Store a snapshot of ``base`` called ``snap_name`` (checked by the caller); it sees base's data as of now."""
        return self._store_snapshot(base, snap_name, self._alloc_vol_id(params.get("id")), params)

    def _store_snapshot(self, base, snap_name, vol_id, params):
        """Store a snapshot of ``base`` with the free id ``vol_id``: the record, its data, in the table."""
        snap = self._new_volume_record(snap_name, vol_id, base["sizeMiB"], base["userCPG"], base["snapCPG"],
                                       PROV_SNP, COPY_VIRTUAL)
        snap["copyOf"] = base["name"]
        snap["baseId"] = base["baseId"]
        snap["readOnly"] = bool(params.get("readOnly", False))
        snap["_usedMiB"] = 0
        if "comment" in params:
            snap["comment"] = params["comment"]
        self._set_expiry(snap, params, snap["creationTimeSec"])
        self.data.snapshot(base, snap)
        self.db["volumes"][snap_name] = snap
        return snap

    def _copy_task(self, task_type, name, user, priority, kind, source, dest, save):
        """Start a task that copies ``source``'s data, as of now, into ``dest``."""
        return self._new_task(task_type, name, user, priority, kind, src=source["id"], dst=dest["id"],
                              captured=self.data.capture(source), _usedMiB=source["_usedMiB"], _save=save)

    def _physical_copy(self, name, params, user):
        """POST /volumes/<name> createPhysicalCopy: into an existing volume, or (online) into a new one."""
        online = isinstance(params, dict) and params.get("online") is True
        params = check_members(params, self.COPY_ONLINE if online else self.COPY_OFFLINE, required=("destVolume",))
        check_priority(params)
        source = self._vol(name)
        dest_name = self._check_vol_name(params["destVolume"], "destVolume")
        self._refuse_busy(source)
        if online:
            return self._online_copy(source, dest_name, params, user)
        return self._offline_copy(source, dest_name, params, user)

    def _offline_copy(self, source, dest_name, params, user):
        """createPhysicalCopy into an existing base volume at least as large, not exported."""
        dest = self.db["volumes"].get(dest_name)
        if dest is None:
            raise errors.not_found("volume", dest_name)
        if dest is source:
            raise WsapiError(403, INV_INPUT, "the destination volume is the same as the parent", ref=dest_name)
        if dest["copyType"] == COPY_VIRTUAL:
            raise WsapiError(403, INV_OPERATION_UNSUPPORTED_VV_TYPE, "the destination is not a base volume",
                             ref=dest_name)
        self._refuse_busy(dest)
        if dest["sizeMiB"] < source["sizeMiB"]:
            raise WsapiError(409, INV_INPUT, "the parent volume is larger than the destination", ref=dest_name)
        if dest_name in self._exported_volumes():
            raise WsapiError(403, IN_USE, "the destination volume is exported", ref=dest_name)
        attach_copy(dest, source)
        task = self._copy_task(TASK_VV_COPY, "%s->%s" % (source["name"], dest_name), user, params.get("priority"),
                               "copy", source, dest, bool(params.get("saveSnapshot")))
        return 200, {"taskid": task["id"]}, {}

    def _online_copy(self, source, dest_name, params, user):
        """createPhysicalCopy online: a new volume in ``destCPG``, usable at once, that becomes a base volume."""
        if "destCPG" not in params:
            raise errors.missing("destCPG")
        if dest_name in self.db["volumes"]:
            raise errors.exists("volume", dest_name)
        prov_body = {key: params[key] for key in ("tpvv", "tdvv", "reduce", "compression") if key in params}
        if self.persona["thin_required"] and not prov_body:
            prov_body = {"tpvv": True}
        prov_type = self._prov_type(prov_body) if prov_body else PROV_FULL
        self._cpg(params["destCPG"])
        snap_cpg = params.get("snapCPG", params["destCPG"])
        self._cpg(snap_cpg)
        self._need_space(params["destCPG"], source["sizeMiB"])
        dest = self._new_volume_record(dest_name, self._alloc_vol_id(), source["sizeMiB"], params["destCPG"],
                                       snap_cpg, prov_type, COPY_PHYSICAL)
        attach_copy(dest, source)
        self.data.create(dest)
        self.db["volumes"][dest_name] = dest
        task = self._copy_task(TASK_ONLINE_COPY, dest_name, user, params.get("priority"), "copy", source, dest, False)
        return 201, {"taskid": task["id"]}, {"Location": "/api/v1/volumes/" + dest_name}

    def _promote(self, vol, body, user):
        """PUT /volumes/<name> action 4: a snapshot's data back into its parent, as a task."""
        if vol["copyType"] != COPY_VIRTUAL or vol.get("copyOf") not in self.db["volumes"]:
            raise WsapiError(400, INV_INPUT, "volume is not a virtual copy", ref=vol["name"])
        if "online" in body and "priority" in body:
            raise errors.conflict("online,priority")
        check_priority(body)
        parent = self.db["volumes"][vol["copyOf"]]
        self._refuse_busy(vol)
        self._refuse_busy(parent)
        if not body.get("online") and parent["name"] in self._exported_volumes():
            raise WsapiError(409, IN_USE, "the parent volume is exported", ref=parent["name"])
        task = self._new_task(TASK_PROMOTE_SV, vol["name"], user, body.get("priority"), "promote",
                              src=vol["id"], dst=parent["id"], captured=self.data.capture(vol))
        return 200, {"taskid": task["id"]}, {}

    def _stop_copy(self, vol, body, user):
        """PUT /volumes/<name> action 1: stop a physical copy (cancelling its task); it becomes a base volume."""
        if vol["copyType"] != COPY_PHYSICAL:
            raise errors.not_physical_copy(vol["name"])
        task = self._busy_task(vol)
        if task is not None:
            self._cancel_task(task)
        detach_copy(vol)
        self.dirty = True
        return 200, None, {}

    def _resync_copy(self, vol, body, user):
        """PUT /volumes/<name> action 2: copy the parent's data into a physical copy again, as a task."""
        source = self.db["volumes"].get(vol.get("copyOf"))
        if vol["copyType"] != COPY_PHYSICAL or source is None:
            raise errors.not_physical_copy(vol["name"])
        self._refuse_busy(vol)
        task = self._copy_task(TASK_RESYNC, vol["name"], user, None, "resync", source, vol, True)
        return 200, {"taskid": task["id"]}, {}
