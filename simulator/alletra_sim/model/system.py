"""The array as a whole: lifecycle (reset, persona, dump/load), GET /api, GET /system, GET /capacity,
domains, and the control-plane calls that span every resource (seed, internal state)."""

import copy
import random
import uuid

from .. import errors
from ..personas import persona_info
from ..validation import check_members, check_name
from .common import MIB_DEFAULT_CPG, RAW_FACTOR, collection, matching, public
from .ports import default_ports


def _capacity_block(total_mib, used_mib):
    """One tier of GET /capacity (all, SSD, FC, NL)."""
    return {
        "totalMiB": total_mib, "freeMiB": total_mib - used_mib, "freeInitializedMiB": total_mib - used_mib,
        "freeUninitializedMiB": 0, "unavailableCapacityMiB": 0, "failedCapacityMiB": 0,
        "allocated": {"totalAllocatedMiB": used_mib,
                      "volumes": {"totalVolumesMiB": used_mib, "nonCPGsMiB": 0},
                      "system": {"totalSystemMiB": 0}},
    }


class System:
    """Mixin of ArrayState: the state's life cycle, the system-wide views, and helpers all resources share."""

    # ------------------------------------------------------------------ lifecycle

    def reset(self, persona=None):
        """POST /_sim/reset: an empty array (two default CPGs, default ports) with a new serial number."""
        persona = persona or self.db.get("persona", "alletra-mp")
        info = persona_info(persona)
        self._drop_data()
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
            "ports": default_ports(rcip=info["rcip_ports"]),
            "tasks": {},
            "next": {"volume": 1, "cpg": 0, "set": 1, "host": 0, "task": 1},
        }
        self._apply_persona(info)
        for name, capacity in (("SSD_r6", MIB_DEFAULT_CPG), ("SSD_r1", MIB_DEFAULT_CPG // 4)):
            self._add_cpg(name, capacity)
        self.dirty = True

    def _drop_data(self):
        """The data files of every volume and of every task still holding a capture go (reset)."""
        for vol in self.db.get("volumes", {}).values():
            self.data.delete(vol)
        for task in self.db.get("tasks", {}).values():
            self.data.release(task.get("_captured"))

    def _apply_persona(self, info):
        """Copy the persona's model, version and chunklet size into the system record."""
        self.db["system"]["model"] = info["model"]
        self.db["system"]["systemVersion"] = info["systemVersion"]
        self.db["system"]["chunkletSizeMiB"] = info["chunkletSizeMiB"]

    def set_persona(self, persona):
        """Pretend to be another array family (a state file loaded under another ``--persona``)."""
        self.db["persona"] = persona
        self._apply_persona(persona_info(persona))
        self.dirty = True

    @property
    def persona(self):
        """The settings of the current persona (name limits, maximum size, API version...)."""
        return persona_info(self.db["persona"])

    def dump(self):
        """The whole state as the state file stores it (a deep copy)."""
        return copy.deepcopy(self.db)

    def load(self, db):
        """Take over a state written by dump()."""
        self.db = copy.deepcopy(db)
        self._apply_persona(self.persona)
        for vol in self.db["volumes"].values():
            self.data.ensure(vol)

    # ------------------------------------------------------------------ helpers every resource uses

    def _next_id(self, kind):
        """The next number of a kind of object (volume, cpg, set, host, task)."""
        value = self.db["next"][kind]
        self.db["next"][kind] = value + 1
        return value

    def _in_id_order(self, table):
        """The objects of ``db[table]`` by id, the order of every listing."""
        return sorted(self.db[table].values(), key=lambda item: item["id"])

    def _listing(self, table, view, query=None):
        """The answer of a list call: ``view`` of each object by id, those ``?query=`` selects if given."""
        return 200, collection(matching([view(item) for item in self._in_id_order(table)], query)), {}

    def _created(self, table, item):
        """Store a new object in ``db[table]`` under its name: the 201 answer with its Location."""
        self.db[table][item["name"]] = item
        self.dirty = True
        return 201, None, {"Location": "/api/v1/%s/%s" % (table, item["name"])}

    def _check_new_name(self, table, kind, name, new_name, limit):
        """A rename's target: a valid name, and not another object's (renaming to itself is fine)."""
        check_name(new_name, limit, "newName")
        if new_name != name and new_name in self.db[table]:
            raise errors.exists(kind, new_name)

    def _rekey(self, table, item, new_name):
        """Rename ``item`` in ``db[table]``; it moves to the end of the table, as a new entry would."""
        del self.db[table][item["name"]]
        item["name"] = new_name
        self.db[table][new_name] = item

    def _check_domain(self, domain):
        """A domain named in a body must exist (domains come from POST /_sim/seed); 404/38 if not."""
        if domain is not None and domain not in self.db["domains"]:
            raise errors.not_found("domain", domain)

    # ------------------------------------------------------------------ version, system, capacity

    def api_version(self):
        """GET /api: the WSAPI version of the persona (its major version as the api_major switch sets it)."""
        version = dict(self.persona["api"])
        if self.api_major is not None:
            version["major"] = self.api_major
        return version

    def _space_totals(self):
        """Usable MiB of all CPGs together: (capacity, used)."""
        total = sum(cpg["capacityMiB"] for cpg in self.db["cpgs"].values())
        used = sum(self._cpg_usage(name)["usedMiB"] for name in self.db["cpgs"])
        return total, used

    def system(self):
        """GET /system: the system record with raw capacity figures."""
        body = copy.deepcopy(self.db["system"])
        total, used = self._space_totals()
        body.update({
            "totalCapacityMiB": int(total * RAW_FACTOR), "allocatedCapacityMiB": int(used * RAW_FACTOR),
            "freeCapacityMiB": int((total - used) * RAW_FACTOR), "failedCapacityMiB": 0,
        })
        return body

    def capacity(self):
        """GET /capacity: raw capacity, all of it SSD."""
        total, used = self._space_totals()
        raw_total, raw_used = int(total * RAW_FACTOR), int(used * RAW_FACTOR)
        return {"allCapacity": _capacity_block(raw_total, raw_used),
                "SSDCapacity": _capacity_block(raw_total, raw_used),
                "FCCapacity": _capacity_block(0, 0), "NLCapacity": _capacity_block(0, 0)}

    # ------------------------------------------------------------------ control plane

    def seed(self, body):
        """POST /_sim/seed: add or replace CPGs (by name) and ports (by position), merge system fields, add domains,
        add volumes, snapshots and volume sets (after the CPGs, so a seed can make the CPG its volumes use)."""
        body = check_members(body, {"cpgs": "list[dict]", "ports": "list[dict]", "system": "dict",
                                    "domains": "list[str]", "volumes": "list[dict]", "volumesets": "list[dict]"})
        self._seed_cpgs(body.get("cpgs", []))
        self._seed_volumes_and_sets(body.get("volumes", []), body.get("volumesets", []))
        self._seed_ports(body.get("ports", []))
        self.db["system"].update(copy.deepcopy(body.get("system", {})))
        for domain in body.get("domains", []):
            if domain not in self.db["domains"]:
                self.db["domains"].append(domain)
        self.dirty = True

    def internal_state(self):
        """GET /_sim/state: every object, with internal fields (``dataId``, ``dataFile`` of each volume...)."""
        out = {"persona": self.db["persona"], "system": self.system(), "domains": list(self.db["domains"])}
        out["cpgs"] = self._cpgs_with_usage()
        out["volumes"] = self._volumes_with_internals()
        out["volumesets"] = {name: public(item) for name, item in self.db["volumesets"].items()}
        out["hostsets"] = {name: public(item) for name, item in self.db["hostsets"].items()}
        out["hosts"] = {name: self._host_view(host) for name, host in self.db["hosts"].items()}
        out["vlun_templates"] = copy.deepcopy(self.db["vluns"])
        out["vluns"] = self.list_vluns()[1]["members"]
        out["ports"] = copy.deepcopy(self.db["ports"])
        out["tasks"] = [self._task_view(task, detail=True) for task in self._in_id_order("tasks")]
        out["subsystemNQN"] = self.subsystem_nqn()
        return out
