"""Volumes: GET/POST /volumes, GET/PUT/DELETE /volumes/<name> (PUT with an action: stop or resync a copy,
grow, promote, tune), and host writes (POST /_sim/volumes/<name>/write)."""

import random
import time
import uuid

from .. import errors
from ..errors import HAS_CHILD, IN_USE, INV_INPUT_VV_GROW_SIZE, INV_OPERATION_UNSUPPORTED_VV_TYPE, WsapiError
from ..validation import check_members, check_name
from .common import (COPY_BASE, COPY_PHYSICAL, COPY_VIRTUAL, MIN_VOLUME_MIB, PROV_FULL, PROV_TDVV, PROV_TPVV,
                     RAW_FACTOR, TASK_CONVERT_VV, iso8601, public)
from .object_key_values import check_okv_key

# Members a volume takes from a create or modify body as they are.
_COPIED_MEMBERS = ("comment", "ssSpcAllocWarningPct", "ssSpcAllocLimitPct", "usrSpcAllocWarningPct",
                   "usrSpcAllocLimitPct")
# PUT flags that remove members ("Warwaning" is the array's own spelling).
_REMOVALS = {"rmSsSpcAllocWarning": ["ssSpcAllocWarningPct"], "rmUsrSpcAllocWarwaning": ["usrSpcAllocWarningPct"],
             "rmSsSpcAllocLimit": ["ssSpcAllocLimitPct"], "rmUsrSpcAllocLimit": ["usrSpcAllocLimitPct"],
             "rmExpTime": ["expirationTime8601", "expirationTimeSec"]}
# tune conversionOperation -> provisioning type.
_CONVERSIONS = {1: PROV_TPVV, 2: PROV_FULL, 3: PROV_TDVV, 4: PROV_TDVV}
_NO_SPACE = {"reservedMiB": 0, "rawReservedMiB": 0, "usedMiB": 0, "freeMiB": 0}


def _space(used):
    """A space block of a volume view holding ``used`` MiB."""
    return {"reservedMiB": used, "rawReservedMiB": int(used * RAW_FACTOR), "usedMiB": used, "freeMiB": 0}


class Volumes:
    """Mixin of ArrayState: volume records, their views and the calls on one volume."""

    VOLUME_CREATE = {
        "name": "str", "cpg": "str", "sizeMiB": "int", "id": "int", "comment": "str", "policies": "dict",
        "snapCPG": "str", "ssSpcAllocWarningPct": "int", "ssSpcAllocLimitPct": "int", "tpvv": "bool",
        "tdvv": "bool", "reduce": "bool", "compression": "bool", "usrSpcAllocWarningPct": "int",
        "usrSpcAllocLimitPct": "int", "expirationHours": "int", "retentionHours": "int",
        "objectKeyValues": "list[dict]",
    }
    POLICIES = {"staleSS": "bool", "oneHost": "bool", "zeroDetect": "bool", "system": "bool", "caching": "bool",
                "fsvc": "bool", "hostDIF": "int"}
    VOLUME_MODIFY = {
        "newName": "str", "comment": "str", "snapCPG": "str", "userCPG": "str", "policies": "dict",
        "ssSpcAllocWarningPct": "int", "ssSpcAllocLimitPct": "int", "usrSpcAllocWarningPct": "int",
        "usrSpcAllocLimitPct": "int", "expirationHours": "int", "retentionHours": "int",
        "rmSsSpcAllocWarning": "bool", "rmUsrSpcAllocWarwaning": "bool", "rmExpTime": "bool",
        "rmSsSpcAllocLimit": "bool", "rmUsrSpcAllocLimit": "bool",
    }
    VOLUME_ACTIONS = {
        1: {"action": "int"},
        2: {"action": "int"},
        3: {"action": "int", "sizeMiB": "int"},
        4: {"action": "int", "online": "bool", "allowRemoteCopyParent": "bool", "priority": "int"},
        6: {"action": "int", "tuneOperation": "int", "userCPG": "str", "snapCPG": "str",
            "conversionOperation": "int", "keepVV": "str", "compression": "bool"},
    }

    # ------------------------------------------------------------------ helpers

    def _check_vol_name(self, name, ref="name"):
        """A valid volume name for this persona."""
        return check_name(name, self.persona["name_max"], ref)

    def _vol(self, name):
        """The volume called ``name``; 404/23 if there is none."""
        self._check_vol_name(name)
        vol = self.db["volumes"].get(name)
        if vol is None:
            raise errors.not_found("volume", name)
        return vol

    def _vol_by_id(self, vol_id):
        """The volume with id ``vol_id``, or None."""
        if vol_id is None:
            return None
        for vol in self.db["volumes"].values():
            if vol["id"] == vol_id:
                return vol
        return None

    def _alloc_vol_id(self, wanted=None):
        """A free volume id: ``wanted`` (409/59 if taken) or the next unused one."""
        used = {vol["id"] for vol in self.db["volumes"].values()}
        if wanted is not None:
            if wanted in used:
                raise errors.exists("volume id", "id")
            return wanted
        while True:
            candidate = self._next_id("volume")
            if candidate not in used:
                return candidate

    def _wwn(self, vol_id):
        """The WWN of volume ``vol_id`` on this array."""
        serial = int(self.db["system"]["serialNumber"][3:])
        return "60002AC%09X%08X%08X" % (0, vol_id, serial)

    def _new_volume_record(self, name, vol_id, size_mib, user_cpg, snap_cpg, prov_type, copy_type):
        """A new volume record (not stored yet)."""
        now = time.time()
        serial = int(self.db["system"]["serialNumber"][3:])
        vol = {
            "id": vol_id, "uuid": str(uuid.uuid4()), "name": name,
            "wwn": self._wwn(vol_id), "nguid": "%08X%08X2AC0%012X" % (vol_id, serial, random.getrandbits(48)),
            "sizeMiB": size_mib, "userCPG": user_cpg, "snapCPG": snap_cpg,
            "provisioningType": prov_type, "copyType": copy_type, "baseId": vol_id, "readOnly": False,
            "state": 1, "policies": {"staleSS": True, "oneHost": False, "zeroDetect": prov_type != PROV_FULL,
                                     "system": False, "caching": True, "fsvc": False, "hostDIF": 3},
            "creationTime8601": iso8601(now), "creationTimeSec": int(now),
            "additionalStates": [], "degradedStates": [], "failedStates": [],
            "_usedMiB": size_mib if prov_type == PROV_FULL else 0, "_okv": {},
        }
        return vol

    @staticmethod
    def _set_expiry(vol, body, now):
        """Expiration and retention times from ``expirationHours`` and ``retentionHours`` (counted from ``now``)."""
        for kind in ("expiration", "retention"):
            hours = body.get(kind + "Hours")
            if hours is not None and hours > 0:
                vol[kind + "Time8601"] = iso8601(now + hours * 3600)
                vol[kind + "TimeSec"] = int(now + hours * 3600)

    def _vol_view(self, vol):
        """A volume as GET /volumes shows it, with space figures (a snapshot's space is snapshot space)."""
        body = public(vol)
        used = vol["_usedMiB"]
        if vol["copyType"] == COPY_VIRTUAL:
            user_space, snap_space = dict(_NO_SPACE), _space(used)
        else:
            user_space, snap_space = _space(used), dict(_NO_SPACE)
        body["userSpace"] = user_space
        body["snapshotSpace"] = snap_space
        body["adminSpace"] = dict(_NO_SPACE)
        body["totalUsedMiB"] = user_space["usedMiB"] + snap_space["usedMiB"]
        body["totalReservedMiB"] = user_space["reservedMiB"] + snap_space["reservedMiB"]
        body["hostWriteMiB"] = used
        return body

    def _children(self, name):
        """The snapshots and physical copies whose parent is ``name``."""
        return [vol for vol in self.db["volumes"].values()
                if vol.get("copyOf") == name and vol["copyType"] in (COPY_VIRTUAL, COPY_PHYSICAL)]

    def _prov_type(self, body):
        """The provisioning type a body asks for; the rules differ between thin-only personas and 3PAR."""
        if self.persona["thin_required"]:
            for member in ("tdvv", "compression"):
                if member in body:
                    raise errors.unknown_member(member)
            if body.get("tpvv") and body.get("reduce"):
                raise errors.conflict("tpvv,reduce")
            if not body.get("tpvv") and not body.get("reduce"):
                raise errors.one_required("tpvv,reduce")
            return PROV_TDVV if body.get("reduce") else PROV_TPVV
        if "reduce" in body:
            raise errors.unknown_member("reduce")
        if body.get("tpvv") and body.get("tdvv"):
            raise errors.conflict("tpvv,tdvv")
        if body.get("tdvv"):
            return PROV_TDVV
        return PROV_TPVV if body.get("tpvv") else PROV_FULL

    def _check_size(self, size_mib, ref="sizeMiB"):
        """A volume size between 256 MiB and the persona's maximum."""
        if size_mib < MIN_VOLUME_MIB:
            raise errors.out_of_range("invalid input: size out of range", ref)
        if size_mib > self.persona["max_volume_mib"]:
            raise errors.too_large(ref)

    @staticmethod
    def _object_key_values(items):
        """The ``objectKeyValues`` of a create body as a dict (a key without value gets "")."""
        okv = {}
        for item in items:
            item = check_members(item, {"key": "str", "value": "str"}, required=("key",))
            okv[check_okv_key(item["key"])] = item.get("value", "")
        return okv

    # ------------------------------------------------------------------ calls

    def create_volume(self, body):
        """POST /volumes: create a volume."""
        body = check_members(body, self.VOLUME_CREATE, required=("name", "cpg", "sizeMiB"))
        name = self._check_vol_name(body["name"])
        if "policies" in body:
            check_members(body["policies"], self.POLICIES)
        okv = self._object_key_values(body.get("objectKeyValues", []))
        prov_type = self._prov_type(body)
        self._check_size(body["sizeMiB"])
        if name in self.db["volumes"]:
            raise errors.exists("volume", name)
        self._cpg(body["cpg"])
        snap_cpg = body.get("snapCPG", body["cpg"])
        self._cpg(snap_cpg)
        self._need_space(body["cpg"], body["sizeMiB"])
        vol_id = self._alloc_vol_id(body.get("id"))
        vol = self._new_volume_record(name, vol_id, body["sizeMiB"], body["cpg"], snap_cpg, prov_type, COPY_BASE)
        if "policies" in body:
            vol["policies"].update(body["policies"])
        if prov_type == PROV_TDVV:
            vol["compressionState"] = 1 if self.persona["thin_required"] else 2
            vol["deduplicationState"] = 1
        for member in _COPIED_MEMBERS:
            if member in body:
                vol[member] = body[member]
        self._set_expiry(vol, body, vol["creationTimeSec"])
        vol["_okv"] = okv
        self.data.create(vol)
        return self._created("volumes", vol)

    def list_volumes(self, query=None):
        """GET /volumes: every volume by id, or those ``?query=`` selects."""
        return self._listing("volumes", self._vol_view, query)

    def get_volume(self, name):
        """GET /volumes/<name>: one volume."""
        return 200, self._vol_view(self._vol(name)), {}

    def delete_volume(self, name, cascade=False):
        """DELETE /volumes/<name>: remove a volume (``?cascade=true``: with its snapshots, recursively)."""
        vol = self._vol(name)
        doomed = [vol]
        if cascade:
            pending = [vol]
            while pending:
                for child in self._children(pending.pop()["name"]):
                    if child["copyType"] == COPY_VIRTUAL:
                        doomed.append(child)
                        pending.append(child)
        exported = self._exported_volumes()
        for victim in reversed(doomed):
            self._refuse_busy(victim)
            remaining = [child for child in self._children(victim["name"]) if child not in doomed]
            if remaining:
                raise WsapiError(409, HAS_CHILD, "volume has a child", ref=victim["name"])
            if self._sets_of("volumesets", victim["name"]) or victim["name"] in exported:
                raise WsapiError(409, IN_USE, "volume is in use", ref=victim["name"])
        for victim in doomed:
            self.data.delete(victim)
            del self.db["volumes"][victim["name"]]
        self.dirty = True
        return 200, None, {}

    def modify_volume(self, name, body, user=None):
        """PUT /volumes/<name>: change members, rename, or (with ``action``) run a volume action."""
        if not isinstance(body, dict):
            raise errors.not_json_object()
        vol = self._vol(name)
        if "action" in body and body["action"] is not None:
            return self._volume_put_action(vol, body, user)
        body = check_members(body, self.VOLUME_MODIFY)
        if not body:
            raise errors.one_required()
        new_name = body.get("newName")
        if new_name is not None:
            self._check_new_name("volumes", "volume", name, new_name, self.persona["name_max"])
        for member in ("snapCPG", "userCPG"):
            if member in body:
                self._cpg(body[member])
        if body.get("userCPG", vol["userCPG"]) != vol["userCPG"]:
            self._need_space(body["userCPG"], vol["sizeMiB"])
        if "policies" in body:
            check_members(body["policies"], self.POLICIES)
            vol["policies"].update(body["policies"])
        for member in ("snapCPG", "userCPG") + _COPIED_MEMBERS:
            if member in body:
                vol[member] = body[member]
        for flag, members in _REMOVALS.items():
            if body.get(flag):
                for member in members:
                    vol.pop(member, None)
        self._set_expiry(vol, body, time.time())
        if new_name is not None and new_name != name:
            self._rename_volume(vol, new_name)
        self.dirty = True
        return 200, None, {}

    def _volume_put_action(self, vol, body, user):
        """PUT /volumes/<name> with ``action``: 1 stop copy, 2 resync, 3 grow, 4 promote, 6 tune."""
        action = body["action"]
        if not isinstance(action, int) or isinstance(action, bool):
            raise errors.wrong_type("action")
        if action not in self.VOLUME_ACTIONS:
            raise errors.bad_enum("action")
        body = check_members(body, self.VOLUME_ACTIONS[action])
        handler = {1: self._stop_copy, 2: self._resync_copy, 3: self._grow, 4: self._promote, 6: self._tune}
        return handler[action](vol, body, user)

    def _rename_volume(self, vol, new_name):
        """Rename a volume everywhere it is named: children's copyOf, volume sets, VLUN templates."""
        old = vol["name"]
        self._rekey("volumes", vol, new_name)
        for other in self.db["volumes"].values():
            if other.get("copyOf") == old:
                other["copyOf"] = new_name
        for vvset in self.db["volumesets"].values():
            vvset["setmembers"] = [new_name if member == old else member for member in vvset["setmembers"]]
        for tpl in self.db["vluns"]:
            if tpl["volumeName"] == old:
                tpl["volumeName"] = new_name

    def _grow(self, vol, body, user):
        """PUT /volumes/<name> action 3: grow by ``sizeMiB``."""
        if "sizeMiB" not in body:
            raise errors.missing("sizeMiB")
        grow = body["sizeMiB"]
        if grow <= 0:
            raise WsapiError(400, INV_INPUT_VV_GROW_SIZE, "invalid input: the grow size must be positive",
                             ref="sizeMiB")
        if vol["copyType"] == COPY_VIRTUAL:
            raise WsapiError(403, INV_OPERATION_UNSUPPORTED_VV_TYPE, "cannot grow this type of volume",
                             ref=vol["name"])
        self._refuse_busy(vol)
        if vol["sizeMiB"] + grow > self.persona["max_volume_mib"]:
            raise errors.too_large("sizeMiB")
        self._need_space(vol["userCPG"], grow)
        vol["sizeMiB"] += grow
        if vol["provisioningType"] == PROV_FULL:
            vol["_usedMiB"] = vol["sizeMiB"]
        self.data.grow(vol, vol["sizeMiB"])
        self.dirty = True
        return 200, None, {}

    def _tune(self, vol, body, user):
        """PUT /volumes/<name> action 6: move to another user CPG (1, maybe converting) or snap CPG (2), as a task."""
        operation = body.get("tuneOperation")
        if operation not in (1, 2):
            raise errors.bad_enum("tuneOperation")
        if "keepVV" in body:
            # keepVV names the volume that keeps the old layout: a volume name (400/57, 400/69), checked
            # before any CPG is looked up.
            self._check_vol_name(body["keepVV"], "keepVV")
        self._refuse_busy(vol)
        field = "userCPG" if operation == 1 else "snapCPG"
        if field not in body:
            raise errors.missing(field)
        self._cpg(body[field])
        if operation == 1 and body["userCPG"] != vol["userCPG"]:
            self._need_space(body["userCPG"], vol["sizeMiB"])
        # The CPG first: _changes is stored in the task (and the state file) in this order.
        changes = {field: body[field]}
        conversion = body.get("conversionOperation")
        if operation == 1 and conversion is not None:
            if conversion not in _CONVERSIONS:
                raise errors.bad_enum("conversionOperation")
            changes["provisioningType"] = _CONVERSIONS[conversion]
        task = self._new_task(TASK_CONVERT_VV, vol["name"], user, None, "tune", src=None, dst=vol["id"],
                              _changes=changes)
        return 200, {"taskid": task["id"]}, {}

    def write_volume(self, name, body):
        """POST /_sim/volumes/<name>/write: host writes (new dataId; ``usedMiB`` if given)."""
        body = check_members(body, {"usedMiB": "int"})
        vol = self.db["volumes"].get(name)
        if vol is None:
            raise errors.not_found("volume", name)
        if "usedMiB" in body:
            if not 0 <= body["usedMiB"] <= vol["sizeMiB"]:
                raise errors.out_of_range("usedMiB outside 0..sizeMiB", "usedMiB")
            vol["_usedMiB"] = body["usedMiB"]
        data_id = self.data.write(vol)
        self.dirty = True
        return {"name": name, "dataId": data_id, "usedMiB": vol["_usedMiB"]}

    def _volumes_with_internals(self):
        """The volumes of GET /_sim/state: each view with dataId, dataFile, objectKeyValues and busyTaskId."""
        out = {}
        for name, vol in self.db["volumes"].items():
            view = self._vol_view(vol)
            view["dataId"] = vol["_dataId"]
            view["dataFile"] = self.data.path(vol)
            view["objectKeyValues"] = dict(vol["_okv"])
            task = self._busy_task(vol)
            view["busyTaskId"] = task["id"] if task else None
            out[name] = view
        return out
