"""CPGs and space: GET/POST /cpgs, GET/DELETE /cpgs/<name>, POST /spacereporter."""

import uuid

from .. import errors
from ..errors import IN_USE, NO_SPACE, WsapiError
from ..validation import check_members, check_name
from .common import COPY_VIRTUAL, MIB_DEFAULT_CPG, PROV_FULL, PROV_TDVV, PROV_TPVV, RAW_FACTOR, collection


# The members of a CPG's LDLayout (P3C createCPG; spec §3.2); any other is 400/12.
LD_LAYOUT = {"RAIDType": "int", "setSize": "int", "HA": "int", "chunkletPosPref": "int", "diskPatterns": "list[dict]"}


def _space(used):
    """A usage block of a CPG view (UsrUsage, SDUsage, SAUsage)."""
    return {"totalMiB": used, "usedMiB": used, "rawTotalMiB": int(used * RAW_FACTOR),
            "rawUsedMiB": int(used * RAW_FACTOR)}


class Cpgs:
    """Mixin of ArrayState: CPGs, their usage and the space checks of every allocation."""

    def _add_cpg(self, name, capacity_mib, domain=None):
        """Store a new CPG record."""
        cpg = {"id": self._next_id("cpg"), "uuid": str(uuid.uuid4()), "name": name, "capacityMiB": int(capacity_mib)}
        if domain:
            cpg["domain"] = domain
        self.db["cpgs"][name] = cpg
        return cpg

    def _cpg(self, name):
        """The CPG called ``name``; 404/15 if there is none."""
        cpg = self.db["cpgs"].get(name)
        if cpg is None:
            raise errors.not_found("cpg", name)
        return cpg

    def _cpg_usage(self, name):
        """What the volumes take from a CPG: provisioned and used MiB, and volume counts by provisioning type."""
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
        """Refuse (400/24) to provision ``add_mib`` more than the CPG's capacity allows."""
        cpg = self._cpg(cpg_name)
        usage = self._cpg_usage(cpg_name)
        if usage["provisionedMiB"] + add_mib > cpg["capacityMiB"]:
            raise WsapiError(400, NO_SPACE, "insufficient space for requested operation", ref=cpg_name)

    def _cpg_view(self, cpg):
        """A CPG as GET /cpgs shows it."""
        usage = self._cpg_usage(cpg["name"])
        layout = {"RAIDType": 6, "setSize": 10, "HA": 2, "diskPatterns": [{"diskType": 3}]}
        body = {
            "id": cpg["id"], "uuid": cpg["uuid"], "name": cpg["name"], "state": 1,
            "numFPVVs": usage["numFPVVs"], "numTPVVs": usage["numTPVVs"], "numTDVVs": usage["numTDVVs"],
            "UsrUsage": _space(usage["userUsedMiB"]), "SDUsage": _space(usage["snapUsedMiB"]), "SAUsage": _space(0),
            "SDGrowth": {"incrementMiB": 8192, "LDLayout": layout},
            "SAGrowth": {"incrementMiB": 8192, "LDLayout": layout},
            "additionalStates": [], "degradedStates": [], "failedStates": [],
        }
        if cpg.get("domain"):
            body["domain"] = cpg["domain"]
        return body

    def list_cpgs(self):
        """GET /cpgs: every CPG."""
        return 200, collection([self._cpg_view(cpg) for cpg in self.db["cpgs"].values()]), {}

    def get_cpg(self, name):
        """GET /cpgs/<name>: one CPG."""
        return 200, self._cpg_view(self._cpg(name)), {}

    def create_cpg(self, body):
        """POST /cpgs: create a CPG (its capacity is growthLimitMiB, else 8 TiB)."""
        body = check_members(body, {"name": "str", "domain": "str", "growthIncrementMiB": "int",
                                    "growthLimitMiB": "int", "usedLDWarningAlertMiB": "int", "LDLayout": "dict"},
                             required=("name",))
        if "LDLayout" in body:
            check_members(body["LDLayout"], LD_LAYOUT)
        name = check_name(body["name"], self.persona["name_max"])
        if name in self.db["cpgs"]:
            raise errors.exists("cpg", name)
        self._check_domain(body.get("domain"))
        self._add_cpg(name, body.get("growthLimitMiB") or MIB_DEFAULT_CPG, body.get("domain"))
        self.dirty = True
        return 201, None, {"Location": "/api/v1/cpgs/" + name}

    def delete_cpg(self, name):
        """DELETE /cpgs/<name>: remove a CPG no volume uses (403/34 otherwise)."""
        self._cpg(name)
        if any(name in (vol["userCPG"], vol["snapCPG"]) for vol in self.db["volumes"].values()):
            raise WsapiError(403, IN_USE, "CPG is in use", ref=name)
        del self.db["cpgs"][name]
        self.dirty = True
        return 200, None, {}

    def space_report(self, body):
        """POST /spacereporter: free and over-provisioned space of one CPG."""
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

    def _seed_cpgs(self, items):
        """The CPGs of POST /_sim/seed: a known name gets the new capacity, a new one is added."""
        for item in items:
            item = check_members(item, {"name": "str", "capacityMiB": "int", "domain": "str"},
                                 required=("name", "capacityMiB"))
            check_name(item["name"], self.persona["name_max"])
            if item["name"] in self.db["cpgs"]:
                self.db["cpgs"][item["name"]]["capacityMiB"] = item["capacityMiB"]
            else:
                self._add_cpg(item["name"], item["capacityMiB"], item.get("domain"))

    def _cpgs_with_usage(self):
        """The CPGs of GET /_sim/state: each view with its capacity and usage figures."""
        out = {}
        for name, cpg in self.db["cpgs"].items():
            view = self._cpg_view(cpg)
            view["capacityMiB"] = cpg["capacityMiB"]
            view.update(self._cpg_usage(name))
            out[name] = view
        return out
