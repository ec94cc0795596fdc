"""The array: every object and every rule, without HTTP.

Each public method implements one WSAPI call and returns ``(status, body, headers)`` or
raises :class:`WsapiError`. The caller holds the simulator lock around every call.
"""

import copy
import random
import time
import uuid
from datetime import datetime, timezone

from . import errors as E
from .data import VolumeData
from .errors import WsapiError
from .personas import persona_info
from .query import compile_query
from .validation import check_members, check_name

MIB_DEFAULT_CPG = 8 * 1024 * 1024          # 8 TiB
MIN_VOLUME_MIB = 256
MAX_LUN = 16383
NVME_MAX_LUN = 256
TASK_ACTIVE, TASK_DONE, TASK_CANCELLED = 2, 1, 3
TASK_VV_COPY, TASK_RESYNC, TASK_PROMOTE_SV, TASK_ONLINE_COPY, TASK_CONVERT_VV = 1, 2, 4, 18, 19
PROTO_FC, PROTO_ISCSI, PROTO_NVME = 1, 2, 6
PROV_FULL, PROV_TPVV, PROV_SNP, PROV_TDVV = 1, 2, 3, 6
COPY_BASE, COPY_PHYSICAL, COPY_VIRTUAL = 1, 2, 3
VLUN_PORT, VLUN_HOST, VLUN_MATCHED_SET, VLUN_HOST_SET = 2, 3, 4, 5
RAW_FACTOR = 1.25                          # RAID 6 (8+2): raw MiB per usable MiB


def _iso8601(epoch):
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _task_time(epoch):
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _public(record):
    return {key: copy.deepcopy(value) for key, value in record.items() if not key.startswith("_")}


def _collection(members):
    return {"total": len(members), "members": members}


def _port_key(pos):
    return "%d:%d:%d" % (pos["node"], pos["slot"], pos["cardPort"])


def default_ports():
    """Ready target ports on loopback addresses: FC, iSCSI and NVMe/TCP on both nodes."""
    ports = []
    for node in (0, 1):
        ports.append({
            "portPos": {"node": node, "slot": 1, "cardPort": 1}, "mode": 2, "linkState": 4, "type": 1,
            "protocol": PROTO_FC, "label": "DP-%d" % (node + 1),
            "portWWN": "2%d110002AC0CAFE0" % node, "nodeWWN": "2FF70002AC0CAFE0",
            "failoverState": 1,
        })
        ip = "127.0.0.%d" % (11 + node)
        ports.append({
            "portPos": {"node": node, "slot": 2, "cardPort": 1}, "mode": 2, "linkState": 4, "type": 8,
            "protocol": PROTO_ISCSI, "label": "iSCSI-%d" % (node + 1),
            "IPAddr": ip, "HWAddr": "0002AC0CAF%02X" % (0x10 + node),
            "iSCSIName": "iqn.2000-05.com.3pardata:2%d210002ac0cafe0" % node,
            "iSCSIPortInfo": {"vlan": 0, "iSNSAddr": "0.0.0.0", "iSNSPort": 3205, "mtu": 1500,
                              "rate": "10Gbps", "netmask": "255.0.0.0", "gateway": "0.0.0.0",
                              "tcpPort": 3260, "IPAddr": ip},
            "failoverState": 1,
        })
        ip = "127.0.0.%d" % (21 + node)
        ports.append({
            "portPos": {"node": node, "slot": 3, "cardPort": 1}, "mode": 2, "linkState": 4, "type": 1,
            "protocol": PROTO_NVME, "label": "NVMe-%d" % (node + 1),
            "IPAddr": ip, "nodeWWN": ip, "HWAddr": "0002AC0CAF%02X" % (0x20 + node),
            "failoverState": 1,
        })
    return ports


class ArrayState:
    """All objects of one simulated array."""

    def __init__(self, persona="alletra-mp", task_seconds=1.0):
        persona_info(persona)
        self.task_seconds = task_seconds
        self.data = VolumeData()
        self.dirty = False
        self.db = {}
        self.reset(persona)

    # ------------------------------------------------------------------ lifecycle

    def reset(self, persona=None):
        persona = persona or self.db.get("persona", "alletra-mp")
        info = persona_info(persona)
        serial = random.randint(1000000, 9999999)
        self.db = {
            "persona": persona,
            "system": {
                "id": serial % 100000, "name": "alletra-sim", "serialNumber": "SIM%07d" % serial,
                "uuid": str(uuid.uuid4()), "IPv4Addr": "127.0.0.1", "totalNodes": 2, "masterNode": 0,
                "onlineNodes": [0, 1], "clusterNodes": [0, 1], "location": "", "owner": "", "contact": "",
                "comment": "", "timeZone": "UTC",
            },
            "cpgs": {},
            "domains": [],
            "volumes": {},
            "volumesets": {},
            "hostsets": {},
            "hosts": {},
            "vluns": [],
            "ports": default_ports(),
            "tasks": {},
            "next": {"volume": 1, "cpg": 0, "set": 1, "host": 0, "task": 1},
        }
        self._apply_persona(info)
        for name, capacity in (("SSD_r6", MIB_DEFAULT_CPG), ("SSD_r1", MIB_DEFAULT_CPG // 4)):
            self._add_cpg(name, capacity)
        self.dirty = True

    def _apply_persona(self, info):
        self.db["system"]["model"] = info["model"]
        self.db["system"]["systemVersion"] = info["systemVersion"]
        self.db["system"]["chunkletSizeMiB"] = info["chunkletSizeMiB"]

    def set_persona(self, persona):
        self.db["persona"] = persona
        self._apply_persona(persona_info(persona))
        self.dirty = True

    @property
    def persona(self):
        return persona_info(self.db["persona"])

    def dump(self):
        return copy.deepcopy(self.db)

    def load(self, db):
        self.db = copy.deepcopy(db)
        self._apply_persona(self.persona)

    def _next_id(self, kind):
        value = self.db["next"][kind]
        self.db["next"][kind] = value + 1
        return value

    # ------------------------------------------------------------------ version, system

    def api_version(self):
        return dict(self.persona["api"])

    def system(self):
        body = copy.deepcopy(self.db["system"])
        total = sum(cpg["capacityMiB"] for cpg in self.db["cpgs"].values())
        used = sum(self._cpg_usage(name)["usedMiB"] for name in self.db["cpgs"])
        body.update({
            "totalCapacityMiB": int(total * RAW_FACTOR), "allocatedCapacityMiB": int(used * RAW_FACTOR),
            "freeCapacityMiB": int((total - used) * RAW_FACTOR), "failedCapacityMiB": 0,
        })
        return body

    def capacity(self):
        total = sum(cpg["capacityMiB"] for cpg in self.db["cpgs"].values())
        used = sum(self._cpg_usage(name)["usedMiB"] for name in self.db["cpgs"])
        raw_total, raw_used = int(total * RAW_FACTOR), int(used * RAW_FACTOR)

        def block(total_mib, used_mib):
            return {
                "totalMiB": total_mib, "freeMiB": total_mib - used_mib, "freeInitializedMiB": total_mib - used_mib,
                "freeUninitializedMiB": 0, "unavailableCapacityMiB": 0, "failedCapacityMiB": 0,
                "allocated": {"totalAllocatedMiB": used_mib,
                              "volumes": {"totalVolumesMiB": used_mib, "nonCPGsMiB": 0},
                              "system": {"totalSystemMiB": 0}},
            }
        return {"allCapacity": block(raw_total, raw_used), "SSDCapacity": block(raw_total, raw_used),
                "FCCapacity": block(0, 0), "NLCapacity": block(0, 0)}

    # ------------------------------------------------------------------ CPGs and space

    def _add_cpg(self, name, capacity_mib, domain=None):
        cpg = {"id": self._next_id("cpg"), "uuid": str(uuid.uuid4()), "name": name, "capacityMiB": int(capacity_mib)}
        if domain:
            cpg["domain"] = domain
        self.db["cpgs"][name] = cpg
        return cpg

    def _cpg(self, name):
        cpg = self.db["cpgs"].get(name)
        if cpg is None:
            raise WsapiError(404, E.NON_EXISTENT_CPG, "CPG does not exist", ref=name)
        return cpg

    def _cpg_usage(self, name):
        provisioned = used_user = used_snap = 0
        fpvvs = tpvvs = tdvvs = 0
        for vol in self.db["volumes"].values():
            if vol["copyType"] != COPY_VIRTUAL and vol["userCPG"] == name:
                provisioned += vol["sizeMiB"]
                used_user += vol["_usedMiB"]
                kind = vol["provisioningType"]
                fpvvs += kind == PROV_FULL
                tpvvs += kind == PROV_TPVV
                tdvvs += kind == PROV_TDVV
            elif vol["copyType"] == COPY_VIRTUAL and vol["snapCPG"] == name:
                used_snap += vol["_usedMiB"]
        return {"provisionedMiB": provisioned, "userUsedMiB": used_user, "snapUsedMiB": used_snap,
                "usedMiB": used_user + used_snap, "numFPVVs": fpvvs, "numTPVVs": tpvvs, "numTDVVs": tdvvs}

    def _need_space(self, cpg_name, add_mib):
        cpg = self._cpg(cpg_name)
        usage = self._cpg_usage(cpg_name)
        if usage["provisionedMiB"] + add_mib > cpg["capacityMiB"]:
            raise WsapiError(400, E.NO_SPACE, "insufficient space for requested operation", ref=cpg_name)

    def _cpg_view(self, cpg):
        usage = self._cpg_usage(cpg["name"])

        def space(used):
            return {"totalMiB": used, "usedMiB": used, "rawTotalMiB": int(used * RAW_FACTOR),
                    "rawUsedMiB": int(used * RAW_FACTOR)}
        layout = {"RAIDType": 6, "setSize": 10, "HA": 2, "diskPatterns": [{"diskType": 3}]}
        body = {
            "id": cpg["id"], "uuid": cpg["uuid"], "name": cpg["name"], "state": 1,
            "numFPVVs": usage["numFPVVs"], "numTPVVs": usage["numTPVVs"], "numTDVVs": usage["numTDVVs"],
            "UsrUsage": space(usage["userUsedMiB"]), "SDUsage": space(usage["snapUsedMiB"]), "SAUsage": space(0),
            "SDGrowth": {"incrementMiB": 8192, "LDLayout": layout},
            "SAGrowth": {"incrementMiB": 8192, "LDLayout": layout},
            "additionalStates": [], "degradedStates": [], "failedStates": [],
        }
        if cpg.get("domain"):
            body["domain"] = cpg["domain"]
        return body

    def list_cpgs(self):
        return 200, _collection([self._cpg_view(cpg) for cpg in self.db["cpgs"].values()]), {}

    def get_cpg(self, name):
        return 200, self._cpg_view(self._cpg(name)), {}

    def create_cpg(self, body):
        body = check_members(body, {"name": "str", "domain": "str", "growthIncrementMiB": "int",
                                    "growthLimitMiB": "int", "usedLDWarningAlertMiB": "int", "LDLayout": "dict"},
                             required=("name",))
        name = check_name(body["name"], self.persona["name_max"])
        if name in self.db["cpgs"]:
            raise WsapiError(409, E.EXISTENT_CPG, "CPG already exists", ref=name)
        self._check_domain(body.get("domain"))
        self._add_cpg(name, body.get("growthLimitMiB") or MIB_DEFAULT_CPG, body.get("domain"))
        self.dirty = True
        return 201, None, {"Location": "/api/v1/cpgs/" + name}

    def delete_cpg(self, name):
        self._cpg(name)
        if any(name in (vol["userCPG"], vol["snapCPG"]) for vol in self.db["volumes"].values()):
            raise WsapiError(403, E.IN_USE, "CPG is in use", ref=name)
        del self.db["cpgs"][name]
        self.dirty = True
        return 200, None, {}

    def space_report(self, body):
        body = check_members(body, {"cpg": "str", "disks": "any", "RAIDType": "int", "HA": "int",
                                    "setSize": "int", "chunkletPosPref": "int"}, required=("cpg",))
        cpg = self._cpg(body["cpg"])
        usage = self._cpg_usage(cpg["name"])
        usable_free = max(cpg["capacityMiB"] - usage["usedMiB"], 0)
        return 200, {
            "rawFreeMiB": int(usable_free * RAW_FACTOR),
            "usableFreeMiB": usable_free,
            "overprovisionedUsedMiB": usage["provisionedMiB"],
            "overProvisionedFreeMiB": max(cpg["capacityMiB"] - usage["provisionedMiB"], 0),
        }, {}

    def _check_domain(self, domain):
        if domain is not None and domain not in self.db["domains"]:
            raise WsapiError(404, 38, "domain does not exist", ref=domain)

    # ------------------------------------------------------------------ tasks

    def advance(self, now=None):
        """Finish every active task whose time has come (tasks progress in real time)."""
        now = time.time() if now is None else now
        for task in list(self.db["tasks"].values()):
            if task["status"] == TASK_ACTIVE and task["_due"] <= now:
                self._finish_task(task, now)

    def _new_task(self, task_type, name, user, priority, kind, src=None, dst=None, captured=None, **extra):
        now = time.time()
        task_id = self._next_id("task")
        if task_id > 65535:
            self.db["next"]["task"] = 2
            task_id = 1
        task = {
            "id": task_id, "type": task_type, "name": name, "status": TASK_ACTIVE,
            "startTime": _task_time(now), "finishTime": "-",
            "user": user or "3paradm",
            "_kind": kind, "_src": src, "_dst": dst, "_captured": captured, "_due": now + self.task_seconds,
            "_detail": ["%s Created task." % _task_time(now)],
        }
        if priority:
            # Clients map 1-3 to high/med/low; a task created without one has no priority member.
            task["priority"] = priority
        task.update(extra)
        self.db["tasks"][str(task_id)] = task
        self.dirty = True
        return task

    def _finish_task(self, task, now):
        dst = self._vol_by_id(task["_dst"])
        if task["_kind"] in ("copy", "resync", "promote") and dst is not None:
            self.data.restore(dst, task["_captured"])
            if task["_kind"] != "promote":
                dst["_usedMiB"] = min(dst["sizeMiB"], task.get("_usedMiB", dst["_usedMiB"]))
                if task["type"] == TASK_ONLINE_COPY or not task.get("_save"):
                    dst["copyType"] = COPY_BASE
                    dst.pop("copyOf", None)
                    dst.pop("physParentId", None)
        elif task["_kind"] == "tune" and dst is not None:
            dst.update(task["_changes"])
        task["status"] = TASK_DONE
        task["finishTime"] = _task_time(now)
        task["_detail"].append("%s Completed task." % _task_time(now))
        self.dirty = True

    def _cancel_task(self, task):
        now = time.time()
        dst = self._vol_by_id(task["_dst"])
        if dst is not None and task["_kind"] in ("copy", "resync", "promote"):
            self.data.interrupt(dst)
            if task["_kind"] != "promote":
                dst["copyType"] = COPY_BASE
                dst.pop("copyOf", None)
                dst.pop("physParentId", None)
        task["status"] = TASK_CANCELLED
        task["finishTime"] = _task_time(now)
        task["_detail"].append("%s Task cancelled." % _task_time(now))
        self.dirty = True

    def _busy_task(self, vol):
        for task in self.db["tasks"].values():
            if task["status"] == TASK_ACTIVE and vol["id"] in (task["_src"], task["_dst"]):
                return task
        return None

    def _refuse_busy(self, vol):
        task = self._busy_task(vol)
        if task is None:
            return
        if task["type"] == TASK_ONLINE_COPY:
            raise WsapiError(400, E.ONLINE_COPY_IN_PROGRESS, "online physical copy is in progress", ref=vol["name"])
        raise WsapiError(409, E.VV_BUSY, "volume is busy in a background task", ref=vol["name"])

    def _task_view(self, task, detail=False):
        body = _public(task)
        if detail:
            body["detailedStatus"] = "\n".join(task["_detail"])
        return body

    def list_tasks(self):
        tasks = sorted(self.db["tasks"].values(), key=lambda task: task["id"])
        return 200, _collection([self._task_view(task) for task in tasks]), {}

    def _task(self, task_id):
        try:
            number = int(task_id)
        except ValueError:
            raise WsapiError(400, E.INV_INPUT_WRONG_TYPE, "invalid input: task id is not an integer", ref="id")
        if number <= 0:
            raise WsapiError(400, E.INV_INPUT_BELOW_RANGE, "invalid input: below range", ref="id")
        if number > 65535:
            raise WsapiError(400, E.INV_INPUT_EXCEEDS_RANGE, "invalid input: exceeds range", ref="id")
        task = self.db["tasks"].get(str(number))
        if task is None:
            raise WsapiError(404, E.NON_EXISTENT_TASK, "task does not exist", ref=str(number))
        return task

    def get_task(self, task_id, view=None):
        return 200, self._task_view(self._task(task_id), detail=view != "excludeDetail"), {}

    def modify_task(self, task_id, body):
        task = self._task(task_id)
        body = check_members(body, {"action": "int"}, required=("action",))
        if body["action"] != 1:
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="action")
        if task["status"] != TASK_ACTIVE:
            raise WsapiError(400, E.INV_INPUT, "task is not active", ref=str(task["id"]))
        self._cancel_task(task)
        return 200, None, {}

    # ------------------------------------------------------------------ volumes: helpers

    def _check_vol_name(self, name, ref="name"):
        return check_name(name, self.persona["name_max"], ref)

    def _vol(self, name):
        self._check_vol_name(name)
        vol = self.db["volumes"].get(name)
        if vol is None:
            raise WsapiError(404, E.NON_EXISTENT_VOL, "volume does not exist", ref=name)
        return vol

    def _vol_by_id(self, vol_id):
        if vol_id is None:
            return None
        for vol in self.db["volumes"].values():
            if vol["id"] == vol_id:
                return vol
        return None

    def _alloc_vol_id(self, wanted=None):
        used = {vol["id"] for vol in self.db["volumes"].values()}
        if wanted is not None:
            if wanted in used:
                raise WsapiError(409, E.EXISTENT_ID, "volume id exists", ref="id")
            return wanted
        while True:
            candidate = self._next_id("volume")
            if candidate not in used:
                return candidate

    def _wwn(self, vol_id):
        serial = int(self.db["system"]["serialNumber"][3:])
        return "60002AC%09X%08X%08X" % (0, vol_id, serial)

    def _new_volume_record(self, name, vol_id, size_mib, user_cpg, snap_cpg, prov_type, copy_type):
        now = time.time()
        serial = int(self.db["system"]["serialNumber"][3:])
        vol = {
            "id": vol_id, "uuid": str(uuid.uuid4()), "name": name,
            "wwn": self._wwn(vol_id), "nguid": "%08X%08X2AC0%012X" % (vol_id, serial, random.getrandbits(48)),
            "sizeMiB": size_mib, "userCPG": user_cpg, "snapCPG": snap_cpg,
            "provisioningType": prov_type, "copyType": copy_type, "baseId": vol_id, "readOnly": False,
            "state": 1, "policies": {"staleSS": True, "oneHost": False, "zeroDetect": prov_type != PROV_FULL,
                                     "system": False, "caching": True, "fsvc": False, "hostDIF": 3},
            "creationTime8601": _iso8601(now), "creationTimeSec": int(now),
            "additionalStates": [], "degradedStates": [], "failedStates": [],
            "_usedMiB": size_mib if prov_type == PROV_FULL else 0, "_okv": {},
        }
        return vol

    @staticmethod
    def _set_expiry(vol, body, now):
        for kind in ("expiration", "retention"):
            hours = body.get(kind + "Hours")
            if hours is not None and hours > 0:
                vol[kind + "Time8601"] = _iso8601(now + hours * 3600)
                vol[kind + "TimeSec"] = int(now + hours * 3600)

    def _vol_view(self, vol):
        body = _public(vol)
        used = vol["_usedMiB"]
        if vol["copyType"] == COPY_VIRTUAL:
            user_space = {"reservedMiB": 0, "rawReservedMiB": 0, "usedMiB": 0, "freeMiB": 0}
            snap_space = {"reservedMiB": used, "rawReservedMiB": int(used * RAW_FACTOR), "usedMiB": used, "freeMiB": 0}
        else:
            user_space = {"reservedMiB": used, "rawReservedMiB": int(used * RAW_FACTOR), "usedMiB": used,
                          "freeMiB": 0}
            snap_space = {"reservedMiB": 0, "rawReservedMiB": 0, "usedMiB": 0, "freeMiB": 0}
        body["userSpace"] = user_space
        body["snapshotSpace"] = snap_space
        body["adminSpace"] = {"reservedMiB": 0, "rawReservedMiB": 0, "usedMiB": 0, "freeMiB": 0}
        body["totalUsedMiB"] = user_space["usedMiB"] + snap_space["usedMiB"]
        body["totalReservedMiB"] = user_space["reservedMiB"] + snap_space["reservedMiB"]
        body["hostWriteMiB"] = used
        return body

    def _children(self, name):
        return [vol for vol in self.db["volumes"].values()
                if vol.get("copyOf") == name and vol["copyType"] in (COPY_VIRTUAL, COPY_PHYSICAL)]

    def _sets_of(self, kind, member):
        return [item["name"] for item in self.db[kind].values() if member in item["setmembers"]]

    def _exported_volumes(self):
        names = set()
        for tpl in self.db["vluns"]:
            names.update(self._expand_volumes(tpl["volumeName"]))
        return names

    # ------------------------------------------------------------------ volumes: calls

    VOLUME_CREATE = {
        "name": "str", "cpg": "str", "sizeMiB": "int", "id": "int", "comment": "str", "policies": "dict",
        "snapCPG": "str", "ssSpcAllocWarningPct": "int", "ssSpcAllocLimitPct": "int", "tpvv": "bool",
        "tdvv": "bool", "reduce": "bool", "compression": "bool", "usrSpcAllocWarningPct": "int",
        "usrSpcAllocLimitPct": "int", "expirationHours": "int", "retentionHours": "int",
        "objectKeyValues": "list[dict]",
    }
    POLICIES = {"staleSS": "bool", "oneHost": "bool", "zeroDetect": "bool", "system": "bool", "caching": "bool",
                "fsvc": "bool", "hostDIF": "int"}

    def _prov_type(self, body):
        thin_required = self.persona["thin_required"]
        if thin_required:
            for member in ("tdvv", "compression"):
                if member in body:
                    raise WsapiError(400, E.INV_INPUT, "invalid input: unknown member", ref=member)
            if body.get("tpvv") and body.get("reduce"):
                raise WsapiError(400, E.INV_INPUT_PARAM_CONFLICT, "invalid input: parameters conflict",
                                 ref="tpvv,reduce")
            if not body.get("tpvv") and not body.get("reduce"):
                raise WsapiError(400, E.INV_INPUT_ONE_REQUIRED,
                                 "invalid input: one of the parameters is required", ref="tpvv,reduce")
            return PROV_TDVV if body.get("reduce") else PROV_TPVV
        if "reduce" in body:
            raise WsapiError(400, E.INV_INPUT, "invalid input: unknown member", ref="reduce")
        if body.get("tpvv") and body.get("tdvv"):
            raise WsapiError(400, E.INV_INPUT_PARAM_CONFLICT, "invalid input: parameters conflict", ref="tpvv,tdvv")
        if body.get("tdvv"):
            return PROV_TDVV
        return PROV_TPVV if body.get("tpvv") else PROV_FULL

    def _check_size(self, size_mib, ref="sizeMiB"):
        if size_mib < MIN_VOLUME_MIB:
            raise WsapiError(400, E.INV_INPUT_EXCEEDS_RANGE, "invalid input: size out of range", ref=ref)
        if size_mib > self.persona["max_volume_mib"]:
            raise WsapiError(400, E.TOO_LARGE, "client request contains values that are too large", ref=ref)

    def create_volume(self, body):
        body = check_members(body, self.VOLUME_CREATE, required=("name", "cpg", "sizeMiB"))
        name = self._check_vol_name(body["name"])
        if "policies" in body:
            check_members(body["policies"], self.POLICIES)
        okv = {}
        for item in body.get("objectKeyValues", []):
            item = check_members(item, {"key": "str", "value": "str"}, required=("key",))
            okv[item["key"]] = item.get("value", "")
        prov_type = self._prov_type(body)
        self._check_size(body["sizeMiB"])
        if name in self.db["volumes"]:
            raise WsapiError(409, E.EXISTENT_VOL, "volume exists", ref=name)
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
        for member in ("comment", "ssSpcAllocWarningPct", "ssSpcAllocLimitPct", "usrSpcAllocWarningPct",
                       "usrSpcAllocLimitPct"):
            if member in body:
                vol[member] = body[member]
        self._set_expiry(vol, body, vol["creationTimeSec"])
        vol["_okv"] = okv
        self.data.create(vol)
        self.db["volumes"][name] = vol
        self.dirty = True
        return 201, None, {"Location": "/api/v1/volumes/" + name}

    def list_volumes(self, query=None):
        vols = sorted(self.db["volumes"].values(), key=lambda vol: vol["id"])
        views = [self._vol_view(vol) for vol in vols]
        if query is not None:
            predicate = compile_query(query)
            views = [view for view in views if predicate(view)]
        return 200, _collection(views), {}

    def get_volume(self, name):
        return 200, self._vol_view(self._vol(name)), {}

    def delete_volume(self, name, cascade=False):
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
                raise WsapiError(409, E.HAS_CHILD, "volume has a child", ref=victim["name"])
            if self._sets_of("volumesets", victim["name"]) or victim["name"] in exported:
                raise WsapiError(409, E.IN_USE, "volume is in use", ref=victim["name"])
        for victim in doomed:
            self.data.delete(victim)
            del self.db["volumes"][victim["name"]]
        self.dirty = True
        return 200, None, {}

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

    def modify_volume(self, name, body, user=None):
        if not isinstance(body, dict):
            raise WsapiError(400, E.INV_INPUT_NOT_JSON_OBJ, "invalid input: a JSON object was expected")
        vol = self._vol(name)
        if "action" in body and body["action"] is not None:
            action = body["action"]
            if not isinstance(action, int) or isinstance(action, bool):
                raise WsapiError(400, E.INV_INPUT_WRONG_TYPE, "invalid input: wrong type", ref="action")
            if action not in self.VOLUME_ACTIONS:
                raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="action")
            body = check_members(body, self.VOLUME_ACTIONS[action])
            handler = {1: self._stop_copy, 2: self._resync_copy, 3: self._grow, 4: self._promote, 6: self._tune}
            return handler[action](vol, body, user)
        body = check_members(body, self.VOLUME_MODIFY)
        if not body:
            raise WsapiError(400, E.INV_INPUT_ONE_REQUIRED, "invalid input: one of the parameters is required")
        new_name = body.get("newName")
        if new_name is not None:
            self._check_vol_name(new_name, "newName")
            if new_name != name and new_name in self.db["volumes"]:
                raise WsapiError(409, E.EXISTENT_VOL, "volume exists", ref=new_name)
        for member in ("snapCPG", "userCPG"):
            if member in body:
                self._cpg(body[member])
        if body.get("userCPG", vol["userCPG"]) != vol["userCPG"]:
            self._need_space(body["userCPG"], vol["sizeMiB"])
        if "policies" in body:
            check_members(body["policies"], self.POLICIES)
            vol["policies"].update(body["policies"])
        for member in ("comment", "snapCPG", "userCPG", "ssSpcAllocWarningPct", "ssSpcAllocLimitPct",
                       "usrSpcAllocWarningPct", "usrSpcAllocLimitPct"):
            if member in body:
                vol[member] = body[member]
        removals = {"rmSsSpcAllocWarning": ["ssSpcAllocWarningPct"], "rmUsrSpcAllocWarwaning": ["usrSpcAllocWarningPct"],
                    "rmSsSpcAllocLimit": ["ssSpcAllocLimitPct"], "rmUsrSpcAllocLimit": ["usrSpcAllocLimitPct"],
                    "rmExpTime": ["expirationTime8601", "expirationTimeSec"]}
        for flag, members in removals.items():
            if body.get(flag):
                for member in members:
                    vol.pop(member, None)
        self._set_expiry(vol, body, time.time())
        if new_name is not None and new_name != name:
            self._rename_volume(vol, new_name)
        self.dirty = True
        return 200, None, {}

    def _rename_volume(self, vol, new_name):
        old = vol["name"]
        del self.db["volumes"][old]
        vol["name"] = new_name
        self.db["volumes"][new_name] = vol
        for other in self.db["volumes"].values():
            if other.get("copyOf") == old:
                other["copyOf"] = new_name
        for vvset in self.db["volumesets"].values():
            vvset["setmembers"] = [new_name if member == old else member for member in vvset["setmembers"]]
        for tpl in self.db["vluns"]:
            if tpl["volumeName"] == old:
                tpl["volumeName"] = new_name

    def _grow(self, vol, body, user):
        if "sizeMiB" not in body:
            raise WsapiError(400, E.INV_INPUT_MISSING_REQUIRED, "invalid input: missing required member",
                             ref="sizeMiB")
        grow = body["sizeMiB"]
        if grow <= 0:
            raise WsapiError(400, E.INV_INPUT_VV_GROW_SIZE, "invalid input: the grow size must be positive",
                             ref="sizeMiB")
        if vol["copyType"] == COPY_VIRTUAL:
            raise WsapiError(403, E.INV_OPERATION_UNSUPPORTED_VV_TYPE, "cannot grow this type of volume",
                             ref=vol["name"])
        self._refuse_busy(vol)
        if vol["sizeMiB"] + grow > self.persona["max_volume_mib"]:
            raise WsapiError(400, E.TOO_LARGE, "client request contains values that are too large", ref="sizeMiB")
        self._need_space(vol["userCPG"], grow)
        vol["sizeMiB"] += grow
        if vol["provisioningType"] == PROV_FULL:
            vol["_usedMiB"] = vol["sizeMiB"]
        self.data.grow(vol, vol["sizeMiB"])
        self.dirty = True
        return 200, None, {}

    def _promote(self, vol, body, user):
        if vol["copyType"] != COPY_VIRTUAL or vol.get("copyOf") not in self.db["volumes"]:
            raise WsapiError(400, E.INV_INPUT, "volume is not a virtual copy", ref=vol["name"])
        if "online" in body and "priority" in body:
            raise WsapiError(400, E.INV_INPUT_PARAM_CONFLICT, "invalid input: parameters conflict",
                             ref="online,priority")
        if body.get("priority") not in (None, 1, 2, 3):
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="priority")
        parent = self.db["volumes"][vol["copyOf"]]
        self._refuse_busy(vol)
        self._refuse_busy(parent)
        if not body.get("online") and parent["name"] in self._exported_volumes():
            raise WsapiError(409, E.IN_USE, "the parent volume is exported", ref=parent["name"])
        task = self._new_task(TASK_PROMOTE_SV, vol["name"], user, body.get("priority"), "promote",
                              src=vol["id"], dst=parent["id"], captured=self.data.capture(vol))
        return 200, {"taskid": task["id"]}, {}

    def _stop_copy(self, vol, body, user):
        if vol["copyType"] != COPY_PHYSICAL:
            raise WsapiError(400, E.INV_INPUT, "volume is not a physical copy", ref=vol["name"])
        task = self._busy_task(vol)
        if task is not None:
            self._cancel_task(task)
        vol["copyType"] = COPY_BASE
        vol.pop("copyOf", None)
        vol.pop("physParentId", None)
        self.dirty = True
        return 200, None, {}

    def _resync_copy(self, vol, body, user):
        source = self.db["volumes"].get(vol.get("copyOf"))
        if vol["copyType"] != COPY_PHYSICAL or source is None:
            raise WsapiError(400, E.INV_INPUT, "volume is not a physical copy", ref=vol["name"])
        self._refuse_busy(vol)
        task = self._new_task(TASK_RESYNC, vol["name"], user, None, "resync", src=source["id"], dst=vol["id"],
                              captured=self.data.capture(source), _usedMiB=source["_usedMiB"], _save=True)
        return 200, {"taskid": task["id"]}, {}

    def _tune(self, vol, body, user):
        operation = body.get("tuneOperation")
        if operation not in (1, 2):
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="tuneOperation")
        self._refuse_busy(vol)
        changes = {}
        if operation == 1:
            if "userCPG" not in body:
                raise WsapiError(400, E.INV_INPUT_MISSING_REQUIRED, "invalid input: missing required member",
                                 ref="userCPG")
            self._cpg(body["userCPG"])
            if body["userCPG"] != vol["userCPG"]:
                self._need_space(body["userCPG"], vol["sizeMiB"])
            changes["userCPG"] = body["userCPG"]
            conversion = body.get("conversionOperation")
            if conversion is not None:
                mapping = {1: PROV_TPVV, 2: PROV_FULL, 3: PROV_TDVV, 4: PROV_TDVV}
                if conversion not in mapping:
                    raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value",
                                     ref="conversionOperation")
                changes["provisioningType"] = mapping[conversion]
        else:
            if "snapCPG" not in body:
                raise WsapiError(400, E.INV_INPUT_MISSING_REQUIRED, "invalid input: missing required member",
                                 ref="snapCPG")
            self._cpg(body["snapCPG"])
            changes["snapCPG"] = body["snapCPG"]
        task = self._new_task(TASK_CONVERT_VV, vol["name"], user, None, "tune", src=None, dst=vol["id"],
                              _changes=changes)
        return 200, {"taskid": task["id"]}, {}

    SNAPSHOT_PARAMS = {"name": "str", "id": "int", "comment": "str", "readOnly": "bool", "expirationHours": "int",
                       "retentionHours": "int"}
    COPY_OFFLINE = {"destVolume": "str", "online": "bool", "saveSnapshot": "bool", "priority": "int"}
    COPY_ONLINE = {"destVolume": "str", "destCPG": "str", "online": "bool", "tpvv": "bool", "tdvv": "bool",
                   "reduce": "bool", "compression": "bool", "snapCPG": "str", "saveSnapshot": "bool",
                   "priority": "int"}

    def volume_action(self, name, body, user=None):
        body = check_members(body, {"action": "str", "parameters": "dict"}, required=("action", "parameters"))
        if body["action"] == "createSnapshot":
            base = self._vol(name)
            params = check_members(body["parameters"], self.SNAPSHOT_PARAMS, required=("name",))
            self._check_vol_name(params["name"])
            if params["name"] in self.db["volumes"]:
                raise WsapiError(409, E.EXISTENT_VOL, "volume exists", ref=params["name"])
            self._snapshot(base, params["name"], params)
            self.dirty = True
            return 201, None, {"Location": "/api/v1/volumes/" + params["name"]}
        if body["action"] == "createPhysicalCopy":
            return self._physical_copy(name, body["parameters"], user)
        raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="action")

    def _snapshot(self, base, snap_name, params):
        vol_id = self._alloc_vol_id(params.get("id"))
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

    def _physical_copy(self, name, params, user):
        online = isinstance(params, dict) and params.get("online") is True
        params = check_members(params, self.COPY_ONLINE if online else self.COPY_OFFLINE, required=("destVolume",))
        if params.get("priority") not in (None, 1, 2, 3):
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="priority")
        source = self._vol(name)
        dest_name = self._check_vol_name(params["destVolume"], "destVolume")
        self._refuse_busy(source)
        if online:
            return self._online_copy(source, dest_name, params, user)
        dest = self.db["volumes"].get(dest_name)
        if dest is None:
            raise WsapiError(404, E.NON_EXISTENT_VOL, "volume does not exist", ref=dest_name)
        if dest is source:
            raise WsapiError(403, E.INV_INPUT, "the destination volume is the same as the parent", ref=dest_name)
        if dest["copyType"] == COPY_VIRTUAL:
            raise WsapiError(403, E.INV_OPERATION_UNSUPPORTED_VV_TYPE, "the destination is not a base volume",
                             ref=dest_name)
        self._refuse_busy(dest)
        if dest["sizeMiB"] < source["sizeMiB"]:
            raise WsapiError(409, E.INV_INPUT, "the parent volume is larger than the destination", ref=dest_name)
        if dest_name in self._exported_volumes():
            raise WsapiError(403, E.IN_USE, "the destination volume is exported", ref=dest_name)
        dest["copyType"] = COPY_PHYSICAL
        dest["copyOf"] = source["name"]
        dest["physParentId"] = source["id"]
        task = self._new_task(TASK_VV_COPY, "%s->%s" % (source["name"], dest_name), user, params.get("priority"),
                              "copy", src=source["id"], dst=dest["id"], captured=self.data.capture(source),
                              _usedMiB=source["_usedMiB"], _save=bool(params.get("saveSnapshot")))
        return 200, {"taskid": task["id"]}, {}

    def _online_copy(self, source, dest_name, params, user):
        if "destCPG" not in params:
            raise WsapiError(400, E.INV_INPUT_MISSING_REQUIRED, "invalid input: missing required member",
                             ref="destCPG")
        if dest_name in self.db["volumes"]:
            raise WsapiError(409, E.EXISTENT_VOL, "volume exists", ref=dest_name)
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
        dest["copyOf"] = source["name"]
        dest["physParentId"] = source["id"]
        self.data.create(dest)
        self.db["volumes"][dest_name] = dest
        task = self._new_task(TASK_ONLINE_COPY, dest_name, user, params.get("priority"), "copy",
                              src=source["id"], dst=dest["id"], captured=self.data.capture(source),
                              _usedMiB=source["_usedMiB"], _save=False)
        return 201, {"taskid": task["id"]}, {"Location": "/api/v1/volumes/" + dest_name}

    # ------------------------------------------------------------------ object key values

    def list_okv(self, name):
        vol = self._vol(name)
        return 200, _collection([{"key": key, "value": value} for key, value in vol["_okv"].items()]), {}

    def create_okv(self, name, body):
        vol = self._vol(name)
        body = check_members(body, {"key": "str", "value": "str"}, required=("key", "value"))
        if body["key"] in vol["_okv"]:
            raise WsapiError(409, E.EXISTENT_OBJECT_KEY, "object key exists", ref=body["key"])
        vol["_okv"][body["key"]] = body["value"]
        self.dirty = True
        return 201, None, {"Location": "/api/v1/volumes/%s/objectKeyValues/%s" % (name, body["key"])}

    def _okv(self, vol, key):
        if key not in vol["_okv"]:
            raise WsapiError(404, E.NON_EXISTENT_OBJECT_KEY, "object key does not exist", ref=key)

    def get_okv(self, name, key):
        vol = self._vol(name)
        self._okv(vol, key)
        return 200, {"key": key, "value": vol["_okv"][key]}, {}

    def modify_okv(self, name, key, body):
        vol = self._vol(name)
        self._okv(vol, key)
        body = check_members(body, {"key": "str", "value": "str"}, required=("value",))
        vol["_okv"][key] = body["value"]
        self.dirty = True
        return 200, None, {}

    def delete_okv(self, name, key):
        vol = self._vol(name)
        self._okv(vol, key)
        del vol["_okv"][key]
        self.dirty = True
        return 200, None, {}

    # ------------------------------------------------------------------ volume sets and host sets

    def _set(self, kind, name):
        check_name(name, self.persona["set_name_max"])
        item = self.db[kind].get(name)
        if item is None:
            raise WsapiError(404, E.NON_EXISTENT_SET, "set does not exist", ref=name)
        return item

    def _check_member_exists(self, kind, member):
        if kind == "volumesets":
            self._vol(member)
        else:
            self._host(member)

    def _set_view(self, item):
        body = _public(item)
        if not body["setmembers"]:
            del body["setmembers"]
        return body

    def list_sets(self, kind):
        items = sorted(self.db[kind].values(), key=lambda item: item["id"])
        return 200, _collection([self._set_view(item) for item in items]), {}

    def get_set(self, kind, name):
        return 200, self._set_view(self._set(kind, name)), {}

    def create_set(self, kind, body):
        body = check_members(body, {"name": "str", "domain": "str", "comment": "str", "setmembers": "list[str]"},
                             required=("name",))
        name = check_name(body["name"], self.persona["set_name_max"])
        if name in self.db[kind]:
            raise WsapiError(400, E.EXISTENT_SET, "set exists", ref=name)
        self._check_domain(body.get("domain"))
        members = []
        for member in body.get("setmembers", []):
            self._check_member_exists(kind, member)
            if member in members:
                raise WsapiError(409, E.MEMBER_IN_SET, "the object is already part of the set", ref=member)
            members.append(member)
        item = {"id": self._next_id("set"), "uuid": str(uuid.uuid4()), "name": name, "setmembers": members}
        for member in ("comment", "domain"):
            if member in body:
                item[member] = body[member]
        if kind == "volumesets":
            item["qosEnabled"] = False
            item["flashCachePolicy"] = 2
        self.db[kind][name] = item
        self.dirty = True
        return 201, None, {"Location": "/api/v1/%s/%s" % (kind, name)}

    def modify_set(self, kind, name, body, user=None):
        item = self._set(kind, name)
        body = check_members(body, {"action": "int", "newName": "str", "comment": "str",
                                    "flashCachePolicy": "int", "setmembers": "list[str]"})
        if not body:
            raise WsapiError(400, E.INV_INPUT_ONE_REQUIRED, "invalid input: one of the parameters is required")
        action = body.get("action")
        copy_actions = (3, 4) if kind == "volumesets" else ()
        if action is not None and action not in (1, 2) + copy_actions:
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="action")
        if "setmembers" in body and action not in (1, 2):
            raise WsapiError(400, E.INV_INPUT_MISSING_REQUIRED, "invalid input: missing required member",
                             ref="action")
        if action in (1, 2) and not body.get("setmembers"):
            raise WsapiError(400, E.INV_INPUT_MISSING_REQUIRED, "invalid input: missing required member",
                             ref="setmembers")
        new_name = body.get("newName")
        if new_name is not None:
            check_name(new_name, self.persona["set_name_max"], "newName")
            if new_name != name and new_name in self.db[kind]:
                raise WsapiError(400, E.EXISTENT_SET, "set exists", ref=new_name)
        if action in copy_actions:
            return self._set_copy_action(item, action, user)
        members = list(item["setmembers"])
        for member in body.get("setmembers", []):
            if action == 1:
                self._check_member_exists(kind, member)
                if member in members:
                    raise WsapiError(409, E.MEMBER_IN_SET, "the object is already part of the set", ref=member)
                members.append(member)
            elif action == 2:
                if member not in members:
                    raise WsapiError(404, E.MEMBER_NOT_IN_SET, "the object is not part of the set", ref=member)
                members.remove(member)
        if "flashCachePolicy" in body and body["flashCachePolicy"] not in (1, 2):
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value",
                             ref="flashCachePolicy")
        item["setmembers"] = members
        for member in ("comment", "flashCachePolicy"):
            if member in body:
                item[member] = body[member]
        if new_name is not None and new_name != name:
            del self.db[kind][name]
            item["name"] = new_name
            self.db[kind][new_name] = item
            field = "volumeName" if kind == "volumesets" else "hostname"
            for tpl in self.db["vluns"]:
                if tpl.get(field) == "set:" + name:
                    tpl[field] = "set:" + new_name
        self.dirty = True
        return 200, None, {}

    def _set_copy_action(self, item, action, user):
        """Resync (3) or stop (4) the physical copy of every member, each as the volume action would."""
        members = [self.db["volumes"][member] for member in item["setmembers"]]
        if not members:
            raise WsapiError(400, E.INV_INPUT, "the set is empty", ref=item["name"])
        for vol in members:
            if vol["copyType"] != COPY_PHYSICAL or vol.get("copyOf") not in self.db["volumes"]:
                raise WsapiError(400, E.INV_INPUT, "volume is not a physical copy", ref=vol["name"])
            if action == 3:
                self._refuse_busy(vol)
        handler = self._resync_copy if action == 3 else self._stop_copy
        task_ids = []
        for vol in members:
            answer = handler(vol, {}, user)[1]
            if answer:
                task_ids.append(answer["taskid"])
        return 200, ({"taskids": task_ids} if task_ids else None), {}

    def delete_set(self, kind, name):
        self._set(kind, name)
        field = "volumeName" if kind == "volumesets" else "hostname"
        if any(tpl.get(field) == "set:" + name for tpl in self.db["vluns"]):
            raise WsapiError(409, E.EXPORTED_VLUN, "the set is exported", ref=name)
        del self.db[kind][name]
        self.dirty = True
        return 200, None, {}

    def volumeset_action(self, name, body, user=None):
        item = self._set("volumesets", name)
        body = check_members(body, {"action": "str", "parameters": "dict"}, required=("action", "parameters"))
        if body["action"] != "createSnapshot":
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="action")
        params = check_members(body["parameters"], self.SNAPSHOT_PARAMS, required=("name",))
        if not item["setmembers"]:
            raise WsapiError(400, E.INV_INPUT, "the set is empty", ref=name)
        pattern = params["name"]
        names = []
        for index, member in enumerate(item["setmembers"]):
            snap_name = pattern.replace("@count@", str(index)).replace("@vvname@", member)
            self._check_vol_name(snap_name)
            if snap_name in self.db["volumes"] or snap_name in names:
                raise WsapiError(409, E.EXISTENT_VOL, "volume exists", ref=snap_name)
            names.append(snap_name)
        params.pop("id", None)
        for member, snap_name in zip(item["setmembers"], names):
            self._snapshot(self.db["volumes"][member], snap_name, params)
        self.dirty = True
        return 201, None, {"Location": "/api/v1/volumes/" + names[0]}

    # ------------------------------------------------------------------ hosts

    HOST_CREATE = {"name": "str", "iSCSINames": "list[str]", "FCWWNs": "list[str]", "NQN": "str",
                   "transportType": "int", "persona": "int", "domain": "str", "forceTearDown": "bool",
                   "descriptors": "dict"}
    HOST_MODIFY = {"newName": "str", "pathOperation": "int", "FCWWNs": "list[str]", "iSCSINames": "list[str]",
                   "NQN": "str", "forcePathRemoval": "bool", "persona": "int", "descriptors": "dict",
                   "chapOperation": "int", "chapOperationMode": "int", "chapName": "str", "chapSecret": "str",
                   "chapSecretHex": "bool", "chapRemoveTargetOnly": "bool"}
    DESCRIPTORS = {"location": "str", "IPAddr": "str", "os": "str", "model": "str", "contact": "str",
                   "comment": "str"}

    def _host(self, name):
        check_name(name, self.persona["name_max"])
        host = self.db["hosts"].get(name)
        if host is None:
            raise WsapiError(404, E.NON_EXISTENT_HOST, "host does not exist", ref=name)
        return host

    @staticmethod
    def _host_protocol(host):
        if host["_fc"]:
            return PROTO_FC
        if host["_iscsi"]:
            return PROTO_ISCSI
        if host["_nqn"]:
            return PROTO_NVME
        return None

    def _host_view(self, host):
        body = _public(host)
        body["FCPaths"] = [{"wwn": wwn} for wwn in host["_fc"]]
        body["iSCSIPaths"] = [{"name": iqn} for iqn in host["_iscsi"]]
        body["NVMETCPPaths"] = [{"NQN": nqn} for nqn in host["_nqn"]]
        return body

    def _normalise_paths(self, body):
        """Return (kind, [paths]) of the initiators in a host body."""
        given = [key for key in ("FCWWNs", "iSCSINames", "NQN") if key in body]
        if len(given) > 1:
            raise WsapiError(400, E.INV_INPUT_PARAM_CONFLICT, "invalid input: parameters conflict",
                             ref=",".join(given))
        if not given:
            return None, []
        kind = given[0]
        paths = [body["NQN"]] if kind == "NQN" else list(body[kind])
        normalised = []
        for path in paths:
            if kind == "FCWWNs":
                if len(path) != 16 or any(char not in "0123456789abcdefABCDEF" for char in path):
                    raise WsapiError(400, E.INV_INPUT_WRONG_TYPE, "invalid input: wrong type", ref=path)
                path = path.upper()
            elif not path:
                raise WsapiError(400, E.INV_INPUT_EMPTY_STR, "invalid input: empty string", ref=kind)
            if path in normalised:
                raise WsapiError(400, E.INV_INPUT_DUP_PATH, "invalid input: duplicate path", ref=path)
            normalised.append(path)
        return kind, normalised

    def _path_owner(self, path):
        for host in self.db["hosts"].values():
            if path.lower() in (item.lower() for item in host["_fc"] + host["_iscsi"] + host["_nqn"]):
                return host
        return None

    def _check_persona(self, body):
        if "persona" in body and not 1 <= body["persona"] <= 15:
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="persona")

    def create_host(self, body):
        body = check_members(body, self.HOST_CREATE, required=("name",))
        name = check_name(body["name"], self.persona["name_max"])
        kind, paths = self._normalise_paths(body)
        self._check_persona(body)
        if "transportType" in body and body["transportType"] not in (1, 2):
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="transportType")
        if "descriptors" in body:
            check_members(body["descriptors"], self.DESCRIPTORS)
        self._check_domain(body.get("domain"))
        if name in self.db["hosts"]:
            raise WsapiError(409, E.EXISTENT_HOST, "host exists", ref=name)
        for path in paths:
            if self._path_owner(path) is not None:
                raise WsapiError(409, E.EXISTENT_PATH, "the path is already used by another host", ref=path)
        host = {"id": self._next_id("host"), "name": name, "persona": body.get("persona", 2),
                "initiatorChapEnabled": False, "targetChapEnabled": False,
                "_fc": paths if kind == "FCWWNs" else [], "_iscsi": paths if kind == "iSCSINames" else [],
                "_nqn": paths if kind == "NQN" else []}
        if kind == "NQN":
            host["transportType"] = body.get("transportType", 2)
        for member in ("domain", "descriptors"):
            if member in body:
                host[member] = copy.deepcopy(body[member])
        self.db["hosts"][name] = host
        self.dirty = True
        return 201, None, {"Location": "/api/v1/hosts/" + name}

    def list_hosts(self, query=None):
        hosts = sorted(self.db["hosts"].values(), key=lambda host: host["id"])
        views = [self._host_view(host) for host in hosts]
        if query is not None:
            predicate = compile_query(query)
            views = [view for view in views if predicate(view)]
        return 200, _collection(views), {}

    def get_host(self, name):
        return 200, self._host_view(self._host(name)), {}

    def modify_host(self, name, body):
        host = self._host(name)
        body = check_members(body, self.HOST_MODIFY)
        kind, paths = self._normalise_paths(body)
        operation = body.get("pathOperation")
        if not body:
            raise WsapiError(400, E.INV_INPUT_ONE_REQUIRED, "invalid input: one of the parameters is required")
        if (kind is None) != (operation is None) or (body.get("forcePathRemoval") and operation != 2):
            raise WsapiError(400, E.INV_INPUT_ONE_REQUIRED, "invalid input: one of the parameters is required",
                             ref="pathOperation")
        if operation is not None and operation not in (1, 2):
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="pathOperation")
        self._check_persona(body)
        if "chapOperation" in body and body["chapOperation"] not in (1, 2):
            raise WsapiError(400, E.INV_INPUT_BAD_ENUM_VALUE, "invalid input: bad enum value", ref="chapOperation")
        if "descriptors" in body:
            check_members(body["descriptors"], self.DESCRIPTORS)
        new_name = body.get("newName")
        if new_name is not None:
            check_name(new_name, self.persona["name_max"], "newName")
            if new_name != name and new_name in self.db["hosts"]:
                raise WsapiError(409, E.EXISTENT_HOST, "host exists", ref=new_name)
        field = {"FCWWNs": "_fc", "iSCSINames": "_iscsi", "NQN": "_nqn"}.get(kind)
        if operation == 1:
            others = [other for other in ("_fc", "_iscsi", "_nqn") if other != field and host[other]]
            if others:
                # One protocol per host, as at creation (FC with iSCSI: 400/44).
                raise WsapiError(400, E.INV_INPUT_PARAM_CONFLICT, "invalid input: parameters conflict", ref=kind)
            for path in paths:
                if self._path_owner(path) is not None:
                    raise WsapiError(409, E.EXISTENT_PATH, "the path is already used by a host", ref=path)
            host[field].extend(paths)
        elif operation == 2:
            lowered = [item.lower() for item in host[field]]
            for path in paths:
                if path.lower() not in lowered:
                    raise WsapiError(404, E.NON_EXISTENT_PATH, "the path does not exist", ref=path)
            host[field] = [item for item in host[field] if item.lower() not in {p.lower() for p in paths}]
        if "persona" in body:
            host["persona"] = body["persona"]
        if "descriptors" in body:
            host.setdefault("descriptors", {}).update(body["descriptors"])
        if body.get("chapOperation") == 1:
            mode = body.get("chapOperationMode", 1)
            host["initiatorChapEnabled" if mode == 1 else "targetChapEnabled"] = True
            if "chapName" in body:
                host["initiatorChapName" if mode == 1 else "targetChapName"] = body["chapName"]
        elif body.get("chapOperation") == 2:
            host["targetChapEnabled"] = False
            host.pop("targetChapName", None)
            if not body.get("chapRemoveTargetOnly"):
                host["initiatorChapEnabled"] = False
                host.pop("initiatorChapName", None)
        if new_name is not None and new_name != name:
            del self.db["hosts"][name]
            host["name"] = new_name
            self.db["hosts"][new_name] = host
            for tpl in self.db["vluns"]:
                if tpl.get("hostname") == name:
                    tpl["hostname"] = new_name
            for hostset in self.db["hostsets"].values():
                hostset["setmembers"] = [new_name if item == name else item for item in hostset["setmembers"]]
        self.dirty = True
        return 200, None, {}

    def delete_host(self, name):
        self._host(name)
        hostsets = self._sets_of("hostsets", name)
        if any(name in self._expand_hosts(tpl.get("hostname")) for tpl in self.db["vluns"]):
            raise WsapiError(409, E.EXPORTED_VLUN, "the host has exported VLUNs", ref=name)
        if hostsets:
            raise WsapiError(409, E.HOST_IN_SET, "the host is a member of a host set", ref=hostsets[0])
        del self.db["hosts"][name]
        self.dirty = True
        return 200, None, {}

    # ------------------------------------------------------------------ ports

    def list_ports(self):
        return 200, _collection(copy.deepcopy(self.db["ports"])), {}

    def port_vlans(self, position):
        if not any(_port_key(port["portPos"]) == position for port in self.db["ports"]):
            raise WsapiError(404, E.NON_EXISTENT_PORT, "port does not exist", ref=position)
        return 200, {"iSCSIVlans": []}, {}

    def _ready_ports(self, protocol, position=None):
        ports = []
        for port in self.db["ports"]:
            if port.get("mode") != 2 or port.get("linkState") != 4:
                continue
            if position is not None and _port_key(port["portPos"]) != _port_key(position):
                continue
            if protocol is not None and port.get("protocol") != protocol:
                continue
            ports.append(port)
        return ports

    def subsystem_nqn(self):
        return "nqn.2020-07.com.hpe:%s" % self.db["system"]["uuid"]

    # ------------------------------------------------------------------ VLUNs

    VLUN_CREATE = {"volumeName": "str", "lun": "int", "hostname": "str", "portPos": "dict", "noVcn": "bool",
                   "overrideLowerPriority": "bool", "autoLun": "bool", "maxAutoLun": "int"}

    def _expand_volumes(self, volume_name):
        if volume_name.startswith("set:"):
            item = self.db["volumesets"].get(volume_name[4:])
            return list(item["setmembers"]) if item else []
        return [volume_name]

    def _expand_hosts(self, hostname):
        if not hostname:
            return []
        if hostname.startswith("set:"):
            item = self.db["hostsets"].get(hostname[4:])
            return list(item["setmembers"]) if item else []
        return [hostname]

    def _template_luns(self, tpl):
        """(volume, lun, host) triples an export rule gives; set exports use consecutive LUNs."""
        triples = []
        hosts = self._expand_hosts(tpl.get("hostname")) or [None]
        for index, volume in enumerate(self._expand_volumes(tpl["volumeName"])):
            for host in hosts:
                triples.append((volume, tpl["lun"] + index, host))
        return triples

    def _port(self, position):
        return next((port for port in self.db["ports"] if _port_key(port["portPos"]) == _port_key(position)), None)

    def _port_protocol(self, position):
        port = self._port(position)
        return port.get("protocol") if port else None

    def _used_luns(self, hosts, position=None):
        """LUNs a new export to ``hosts`` (or, with no hosts, to every host seen on port ``position``) would clash with.

        A port export reaches every host seen through that port: here, every host of the port's protocol.
        """
        used = set()
        host_protocols = set(self._host_protocol(self.db["hosts"][host]) for host in hosts)
        port_protocol = self._port_protocol(position) if position is not None and not hosts else None
        for tpl in self.db["vluns"]:
            for _volume, lun, host in self._template_luns(tpl):
                if host is None:
                    if tpl.get("portPos") == position or self._port_protocol(tpl["portPos"]) in host_protocols:
                        used.add(lun)
                elif host in hosts:
                    used.add(lun)
                elif port_protocol is not None and self._host_protocol(self.db["hosts"][host]) == port_protocol:
                    used.add(lun)
        return used

    @staticmethod
    def _check_port_pos(position):
        if set(position) != {"node", "slot", "cardPort"} or not all(
                isinstance(value, int) and not isinstance(value, bool) and value >= 0 for value in position.values()):
            raise WsapiError(400, E.INV_INPUT_PORT_SPECIFICATION, "invalid input: port specification", ref="portPos")

    def create_vlun(self, body):
        body = check_members(body, self.VLUN_CREATE, required=("volumeName",))
        auto = body.get("autoLun", False)
        if "lun" not in body and not auto:
            raise WsapiError(400, E.INV_INPUT_MISSING_REQUIRED, "invalid input: missing required member", ref="lun")
        hostname, position = body.get("hostname"), body.get("portPos")
        if hostname is None and position is None:
            raise WsapiError(400, E.INV_INPUT_MISSING_REQUIRED, "invalid input: missing required member",
                             ref="hostname")
        if body.get("overrideLowerPriority") and hostname is None:
            raise WsapiError(400, E.INV_INPUT_PARAM_CONFLICT, "invalid input: parameters conflict",
                             ref="overrideLowerPriority")
        lun = body.get("lun", 0)
        if lun < 0:
            raise WsapiError(400, E.INV_INPUT_BELOW_RANGE, "invalid input: below range", ref="lun")
        if lun > MAX_LUN:
            raise WsapiError(400, E.TOO_LARGE, "client request contains values that are too large", ref="lun")
        if position is not None:
            self._check_port_pos(position)
            if self._port(position) is None:
                raise WsapiError(404, E.NON_EXISTENT_PORT, "port does not exist", ref=_port_key(position))
        volume_name = body["volumeName"]
        if volume_name.startswith("set:"):
            volumes = self._set("volumesets", volume_name[4:])["setmembers"]
            if not volumes:
                raise WsapiError(400, E.INV_INPUT, "the VV set is empty", ref=volume_name)
        else:
            volumes = [self._vol(volume_name)["name"]]
        hosts = []
        if hostname is not None:
            if hostname.startswith("set:"):
                hosts = self._set("hostsets", hostname[4:])["setmembers"]
            else:
                hosts = [self._host(hostname)["name"]]
        for volume in volumes:
            task = self._busy_task(self.db["volumes"][volume])
            if task is not None and task["_dst"] == self.db["volumes"][volume]["id"] and task["_kind"] == "copy":
                raise WsapiError(409, E.INV_OPERATION_VLUN_PCOPY_TARGET_VV, "volume is a target of physical copy",
                                 ref=volume)
        nvme = any(self._host_protocol(self.db["hosts"][host]) == PROTO_NVME for host in hosts)
        span = len(volumes)
        used = self._used_luns(hosts, position)
        if auto:
            low = max(lun, 1) if nvme else lun
            high = NVME_MAX_LUN if nvme else MAX_LUN
            if body.get("maxAutoLun"):
                high = min(high, body["maxAutoLun"])
            lun = next((candidate for candidate in range(low, high - span + 2)
                        if not used & set(range(candidate, candidate + span))), None)
            if lun is None:
                raise WsapiError(409, E.EXISTENT_LUN, "LUN ID cannot be assigned within the specified range",
                                 ref="lun")
        else:
            if lun + span - 1 > MAX_LUN:
                # A set export takes one LUN per member, from lun on.
                raise WsapiError(400, E.TOO_LARGE, "client request contains values that are too large", ref="lun")
            if nvme and not (1 <= lun and lun + span - 1 <= NVME_MAX_LUN):
                raise WsapiError(400, E.INV_INPUT_EXCEEDS_RANGE, "invalid input: LUN out of range for NVMe host",
                                 ref="lun")
            if used & set(range(lun, lun + span)):
                raise WsapiError(409, E.EXISTENT_LUN, "LUN already exists", ref=str(lun))
        if hostname is None:
            vlun_type = VLUN_PORT
        elif hostname.startswith("set:"):
            vlun_type = VLUN_HOST_SET
        else:
            vlun_type = VLUN_MATCHED_SET if position is not None else VLUN_HOST
        tpl = {"volumeName": volume_name, "lun": lun, "type": vlun_type,
               "noVcn": body.get("noVcn", False), "overrideLowerPriority": body.get("overrideLowerPriority", False)}
        if hostname is not None:
            tpl["hostname"] = hostname
        if position is not None:
            tpl["portPos"] = dict(position)
        self.db["vluns"].append(tpl)
        self.dirty = True
        location = "/api/v1/vluns/%s,%d,%s" % (volume_name, lun, hostname or "")
        if position is not None:
            location += "," + _port_key(position)
        return 201, None, {"Location": location}

    def _vlun_views(self, tpl):
        volumes = self._expand_volumes(tpl["volumeName"])
        views = []
        template = {"lun": tpl["lun"], "volumeName": tpl["volumeName"], "type": tpl["type"], "active": False,
                    "multipathing": 1, "failedPathPol": 1, "failedPathInterval": 0}
        if tpl.get("hostname"):
            template["hostname"] = tpl["hostname"]
        if tpl.get("portPos"):
            template["portPos"] = dict(tpl["portPos"])
        single = len(volumes) == 1 and not tpl["volumeName"].startswith("set:")
        if single and volumes[0] in self.db["volumes"]:
            vol = self.db["volumes"][volumes[0]]
            template["volumeWWN"] = vol["wwn"]
            template["serial"] = "%s%04X" % (self.db["system"]["serialNumber"], vol["id"])
        nvme_template = False
        for volume, lun, host_name in self._template_luns(tpl):
            vol = self.db["volumes"].get(volume)
            host = self.db["hosts"].get(host_name) if host_name else None
            if vol is None:
                continue
            protocol = self._host_protocol(host) if host else None
            if host is not None and protocol is None:
                continue
            for port in self._ready_ports(protocol, tpl.get("portPos")):
                active = {"lun": lun, "volumeName": volume, "type": tpl["type"], "active": True,
                          "portPos": dict(port["portPos"]), "multipathing": 1, "failedPathPol": 1,
                          "failedPathInterval": 0, "volumeWWN": vol["wwn"],
                          "serial": "%s%04X" % (self.db["system"]["serialNumber"], vol["id"])}
                if host is not None:
                    active["hostname"] = host_name
                    active["remoteName"] = (host["_fc"] + host["_iscsi"] + host["_nqn"])[0]
                if protocol == PROTO_NVME:
                    active["Subsystem_NQN"] = self.subsystem_nqn()
                    nvme_template = True
                views.append(active)
        if nvme_template or any(self._host_protocol(self.db["hosts"][h]) == PROTO_NVME
                                for h in self._expand_hosts(tpl.get("hostname")) if h in self.db["hosts"]):
            template["Subsystem_NQN"] = self.subsystem_nqn()
        return [template] + views

    def list_vluns(self, query=None):
        views = []
        for tpl in self.db["vluns"]:
            views.extend(self._vlun_views(tpl))
        if query is not None:
            predicate = compile_query(query)
            views = [view for view in views if predicate(view)]
        return 200, _collection(views), {}

    def _find_templates(self, vlun_id):
        parts = vlun_id.split(",")
        if len(parts) not in (3, 4):
            raise WsapiError(404, E.NON_EXISTENT_VLUN, "VLUN does not exist", ref=vlun_id)
        volume, lun_text, hostname = parts[0], parts[1], parts[2]
        try:
            lun = int(lun_text)
        except ValueError:
            raise WsapiError(400, E.INV_INPUT_WRONG_TYPE, "invalid input: wrong type", ref="lun")
        position = None
        if len(parts) == 4:
            try:
                node, slot, card = (int(value) for value in parts[3].split(":"))
            except ValueError:
                raise WsapiError(400, E.INV_INPUT_PORT_SPECIFICATION, "invalid input: port specification",
                                 ref=parts[3])
            position = {"node": node, "slot": slot, "cardPort": card}
        if hostname and not hostname.startswith("set:") and hostname not in self.db["hosts"]:
            raise WsapiError(404, E.NON_EXISTENT_HOST, "host does not exist", ref=hostname)
        found = [tpl for tpl in self.db["vluns"]
                 if tpl["volumeName"] == volume and tpl["lun"] == lun and (tpl.get("hostname") or "") == hostname
                 and (position is None or tpl.get("portPos") == position)]
        if not found:
            raise WsapiError(404, E.NON_EXISTENT_VLUN, "VLUN does not exist", ref=vlun_id)
        return found

    def get_vlun(self, vlun_id):
        views = []
        for tpl in self._find_templates(vlun_id):
            views.extend(self._vlun_views(tpl))
        return 200, _collection(views), {}

    def delete_vlun(self, vlun_id):
        for tpl in self._find_templates(vlun_id):
            self.db["vluns"].remove(tpl)
        self.dirty = True
        return 200, None, {}

    # ------------------------------------------------------------------ control plane helpers

    def seed(self, body):
        body = check_members(body, {"cpgs": "list[dict]", "ports": "list[dict]", "system": "dict",
                                    "domains": "list[str]"})
        for item in body.get("cpgs", []):
            item = check_members(item, {"name": "str", "capacityMiB": "int", "domain": "str"},
                                 required=("name", "capacityMiB"))
            check_name(item["name"], self.persona["name_max"])
            if item["name"] in self.db["cpgs"]:
                self.db["cpgs"][item["name"]]["capacityMiB"] = item["capacityMiB"]
            else:
                self._add_cpg(item["name"], item["capacityMiB"], item.get("domain"))
        for port in body.get("ports", []):
            if not isinstance(port.get("portPos"), dict):
                raise WsapiError(400, E.INV_INPUT_MISSING_REQUIRED, "port needs portPos", ref="portPos")
            self._check_port_pos(port["portPos"])
            key = _port_key(port["portPos"])
            self.db["ports"] = [item for item in self.db["ports"] if _port_key(item["portPos"]) != key]
            self.db["ports"].append(copy.deepcopy(port))
        self.db["system"].update(copy.deepcopy(body.get("system", {})))
        for domain in body.get("domains", []):
            if domain not in self.db["domains"]:
                self.db["domains"].append(domain)
        self.dirty = True

    def write_volume(self, name, body):
        body = check_members(body, {"usedMiB": "int"})
        vol = self.db["volumes"].get(name)
        if vol is None:
            raise WsapiError(404, E.NON_EXISTENT_VOL, "volume does not exist", ref=name)
        if "usedMiB" in body:
            if not 0 <= body["usedMiB"] <= vol["sizeMiB"]:
                raise WsapiError(400, E.INV_INPUT_EXCEEDS_RANGE, "usedMiB outside 0..sizeMiB", ref="usedMiB")
            vol["_usedMiB"] = body["usedMiB"]
        data_id = self.data.write(vol)
        self.dirty = True
        return {"name": name, "dataId": data_id, "usedMiB": vol["_usedMiB"]}

    def internal_state(self):
        """Everything, including internal fields (``dataId`` of each volume)."""
        out = {"persona": self.db["persona"], "system": self.system(), "domains": list(self.db["domains"])}
        out["cpgs"] = {}
        for name, cpg in self.db["cpgs"].items():
            view = self._cpg_view(cpg)
            view["capacityMiB"] = cpg["capacityMiB"]
            view.update(self._cpg_usage(name))
            out["cpgs"][name] = view
        out["volumes"] = {}
        for name, vol in self.db["volumes"].items():
            view = self._vol_view(vol)
            view["dataId"] = vol["_dataId"]
            view["objectKeyValues"] = dict(vol["_okv"])
            task = self._busy_task(vol)
            view["busyTaskId"] = task["id"] if task else None
            out["volumes"][name] = view
        out["volumesets"] = {name: _public(item) for name, item in self.db["volumesets"].items()}
        out["hostsets"] = {name: _public(item) for name, item in self.db["hostsets"].items()}
        out["hosts"] = {name: self._host_view(host) for name, host in self.db["hosts"].items()}
        out["vlun_templates"] = copy.deepcopy(self.db["vluns"])
        out["vluns"] = self.list_vluns()[1]["members"]
        out["ports"] = copy.deepcopy(self.db["ports"])
        out["tasks"] = [self._task_view(task, detail=True) for task in
                        sorted(self.db["tasks"].values(), key=lambda task: task["id"])]
        out["subsystemNQN"] = self.subsystem_nqn()
        return out
