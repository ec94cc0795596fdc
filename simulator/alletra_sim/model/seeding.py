"""POST /_sim/seed ``volumes`` and ``volumesets``: thousands of volumes, snapshots and volume sets in one call.

What the WSAPI would take one POST per object to build (and a create scans every volume for a free id
and the CPG's space) is checked as a whole first, so a refused seed stores nothing, then stored with
one scan: 5,000 volumes seed in well under a second.
"""

from .. import errors
from ..validation import check_members, check_name
from .common import COPY_BASE, PROV_TPVV

SEED_VOLUME = {"name": "str", "cpg": "str", "sizeMiB": "int", "comment": "str", "copyOf": "str", "readOnly": "bool"}
SEED_VOLUME_SET = {"name": "str", "comment": "str", "setmembers": "list[str]"}


class Seeding:
    """Mixin of ArrayState: seeded volumes (thin base volumes, snapshots) and volume sets."""

    def _seed_volumes_and_sets(self, volumes, volume_sets):
        """Check every seeded volume and volume set, then store them all; nothing is stored if one is refused."""
        volumes = self._check_seed_volumes(volumes)
        volume_sets = self._check_seed_sets(volume_sets, set(item["name"] for item in volumes))
        self._store_seed_volumes(volumes)
        for item in volume_sets:
            members = list(item.get("setmembers", []))
            self.db["volumesets"][item["name"]] = self._new_set_record("volumesets", item["name"], members, item)

    def _check_seed_volumes(self, items):
        """Each item a new name; a base volume with ``cpg`` and ``sizeMiB``, a snapshot with ``copyOf`` (an
        existing volume or one earlier in the list) and neither; the CPGs with room for the base volumes."""
        checked, names, wanted_mib = [], set(), {}
        for item in items:
            item = check_members(item, SEED_VOLUME, required=("name",))
            name = self._check_vol_name(item["name"])
            if name in self.db["volumes"] or name in names:
                raise errors.exists("volume", name)
            if "copyOf" in item:
                if "cpg" in item or "sizeMiB" in item:
                    raise errors.conflict("copyOf,%s" % ("cpg" if "cpg" in item else "sizeMiB"))
                if item["copyOf"] not in names and item["copyOf"] not in self.db["volumes"]:
                    raise errors.not_found("volume", item["copyOf"])
            else:
                for member in ("cpg", "sizeMiB"):
                    if member not in item:
                        raise errors.missing(member)
                self._check_size(item["sizeMiB"])
                self._cpg(item["cpg"])
                wanted_mib[item["cpg"]] = wanted_mib.get(item["cpg"], 0) + item["sizeMiB"]
            names.add(name)
            checked.append(item)
        for cpg_name, size_mib in wanted_mib.items():
            self._need_space(cpg_name, size_mib)
        return checked

    def _check_seed_sets(self, items, seeded):
        """Each item a new volume set name; its members existing volumes or volumes of this seed, each once."""
        checked, names = [], set()
        for item in items:
            item = check_members(item, SEED_VOLUME_SET, required=("name",))
            name = check_name(item["name"], self.persona["set_name_max"])
            if name in self.db["volumesets"] or name in names:
                raise errors.exists("set", name)
            members = item.get("setmembers", [])
            for member in members:
                if member not in seeded and member not in self.db["volumes"]:
                    raise errors.not_found("volume", member)
            if len(set(members)) != len(members):
                raise errors.member_in_set(next(member for member in members if members.count(member) > 1))
            names.add(name)
            checked.append(item)
        return checked

    def _store_seed_volumes(self, items):
        """Store checked items in order, each with the next free id: thin base volumes and snapshots."""
        used = set(vol["id"] for vol in self.db["volumes"].values())
        for item in items:
            vol_id = self._next_id("volume")
            while vol_id in used:
                vol_id = self._next_id("volume")
            used.add(vol_id)
            if "copyOf" in item:
                self._store_snapshot(self.db["volumes"][item["copyOf"]], item["name"], vol_id, item)
                continue
            vol = self._new_volume_record(item["name"], vol_id, item["sizeMiB"], item["cpg"], item["cpg"], PROV_TPVV,
                                          COPY_BASE)
            for member in ("comment", "readOnly"):
                if member in item:
                    vol[member] = item[member]
            self.data.create(vol)
            self.db["volumes"][vol["name"]] = vol
        self.dirty = True
