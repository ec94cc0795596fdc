"""VLUNs (exports): GET/POST /vluns, GET/DELETE /vluns/<volume,lun,host[,n:s:p]>.

``db["vluns"]`` keeps the export rules (templates) as created; the active VLUNs a listing shows are
derived from them: one per volume, host and ready port the rule reaches.
"""

from .. import errors
from ..errors import EXISTENT_LUN, INV_INPUT, INV_OPERATION_VLUN_PCOPY_TARGET_VV, WsapiError
from ..validation import check_members
from .common import (MAX_LUN, NVME_MAX_LUN, PROTO_NVME, VLUN_HOST, VLUN_HOST_SET, VLUN_MATCHED_SET, VLUN_PORT,
                     collection, matching, port_key)


class Vluns:
    """Mixin of ArrayState: export rules, the LUNs they take and the active VLUNs they give."""

    VLUN_CREATE = {"volumeName": "str", "lun": "int", "hostname": "str", "portPos": "dict", "noVcn": "bool",
                   "overrideLowerPriority": "bool", "autoLun": "bool", "maxAutoLun": "int"}

    # ------------------------------------------------------------------ helpers

    def _expand_volumes(self, volume_name):
        """The volumes a template's volumeName names (``set:<name>``: the set's members, none if it is gone)."""
        if volume_name.startswith("set:"):
            item = self.db["volumesets"].get(volume_name[4:])
            return list(item["setmembers"]) if item else []
        return [volume_name]

    def _expand_hosts(self, hostname):
        """The hosts a template's hostname names (none for a port export or a host set that is gone)."""
        if not hostname:
            return []
        if hostname.startswith("set:"):
            item = self.db["hostsets"].get(hostname[4:])
            return list(item["setmembers"]) if item else []
        return [hostname]

    def _exported_volumes(self):
        """Names of the volumes some template exports."""
        names = set()
        for tpl in self.db["vluns"]:
            names.update(self._expand_volumes(tpl["volumeName"]))
        return names

    def _template_luns(self, tpl):
        """(volume, lun, host) triples an export rule gives; set exports use consecutive LUNs."""
        # Only a port export (no hostname) gives host None; a host-set rule whose set is empty stays a
        # host-set rule and gives nothing until the set has members again.
        triples = []
        hosts = self._expand_hosts(tpl["hostname"]) if tpl.get("hostname") else [None]
        for index, volume in enumerate(self._expand_volumes(tpl["volumeName"])):
            for host in hosts:
                triples.append((volume, tpl["lun"] + index, host))
        return triples

    def _used_luns(self, hosts, position=None):
        """LUNs a new export to ``hosts`` (or, without hosts, to those seen on port ``position``) would clash with."""
        # A port export reaches every host seen through that port: here, every host of the port's protocol.
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

    def _vlun_serial(self, vol):
        """The LUN serial number of a volume on this array."""
        return "%s%04X" % (self.db["system"]["serialNumber"], vol["id"])

    # ------------------------------------------------------------------ POST /vluns

    def create_vlun(self, body):
        """POST /vluns: export a volume (or volume set) to a host, a host set and/or a port."""
        body = check_members(body, self.VLUN_CREATE, required=("volumeName",))
        lun = self._check_vlun_body(body)
        volume_name, hostname, position = body["volumeName"], body.get("hostname"), body.get("portPos")
        volumes, hosts = self._vlun_targets(volume_name, hostname)
        self._refuse_copy_targets(volumes)
        lun = self._pick_lun(body, lun, len(volumes), hosts, position)
        tpl = {"volumeName": volume_name, "lun": lun, "type": self._vlun_type(hostname, position),
               "noVcn": body.get("noVcn", False), "overrideLowerPriority": body.get("overrideLowerPriority", False)}
        if hostname is not None:
            tpl["hostname"] = hostname
        if position is not None:
            tpl["portPos"] = dict(position)
        self.db["vluns"].append(tpl)
        self.dirty = True
        location = "/api/v1/vluns/%s,%d,%s" % (volume_name, lun, hostname or "")
        if position is not None:
            location += "," + port_key(position)
        return 201, None, {"Location": location}

    def _check_vlun_body(self, body):
        """The checks of POST /vluns that need no lookup (but the port's); returns the lun asked for (0 if none)."""
        if "lun" not in body and not body.get("autoLun", False):
            raise errors.missing("lun")
        hostname, position = body.get("hostname"), body.get("portPos")
        if hostname is None and position is None:
            raise errors.missing("hostname")
        if body.get("overrideLowerPriority") and hostname is None:
            raise errors.conflict("overrideLowerPriority")
        lun = body.get("lun", 0)
        if lun < 0:
            raise errors.below_range("lun")
        if lun > MAX_LUN:
            raise errors.too_large("lun")
        if position is not None:
            self._check_port_pos(position)
            if self._port(position) is None:
                raise errors.not_found("port", port_key(position))
        return lun

    def _vlun_targets(self, volume_name, hostname):
        """The volume names and host names an export names (sets expanded; each must exist)."""
        if volume_name.startswith("set:"):
            volumes = self._set("volumesets", volume_name[4:])["setmembers"]
            if not volumes:
                raise WsapiError(400, INV_INPUT, "the VV set is empty", ref=volume_name)
        else:
            volumes = [self._vol(volume_name)["name"]]
        hosts = []
        if hostname is not None:
            if hostname.startswith("set:"):
                hosts = self._set("hostsets", hostname[4:])["setmembers"]
            else:
                hosts = [self._host(hostname)["name"]]
        return volumes, hosts

    def _refuse_copy_targets(self, volumes):
        """A volume a physical copy is writing cannot be exported (409/97)."""
        for volume in volumes:
            task = self._busy_task(self.db["volumes"][volume])
            if task is not None and task["_dst"] == self.db["volumes"][volume]["id"] and task["_kind"] == "copy":
                raise WsapiError(409, INV_OPERATION_VLUN_PCOPY_TARGET_VV, "volume is a target of physical copy",
                                 ref=volume)

    def _pick_lun(self, body, lun, span, hosts, position):
        """The first LUN of the export: the one asked for, or (autoLun) the first free run of ``span`` LUNs from it."""
        nvme = any(self._host_protocol(self.db["hosts"][host]) == PROTO_NVME for host in hosts)
        used = self._used_luns(hosts, position)
        if body.get("autoLun", False):
            low = max(lun, 1) if nvme else lun
            high = NVME_MAX_LUN if nvme else MAX_LUN
            if body.get("maxAutoLun"):
                high = min(high, body["maxAutoLun"])
            lun = next((candidate for candidate in range(low, high - span + 2)
                        if not used & set(range(candidate, candidate + span))), None)
            if lun is None:
                raise WsapiError(409, EXISTENT_LUN, "LUN ID cannot be assigned within the specified range", ref="lun")
            return lun
        if lun + span - 1 > MAX_LUN:
            # A set export takes one LUN per member, from lun on.
            raise errors.too_large("lun")
        if nvme and not (1 <= lun and lun + span - 1 <= NVME_MAX_LUN):
            raise errors.out_of_range("invalid input: LUN out of range for NVMe host", "lun")
        if used & set(range(lun, lun + span)):
            raise WsapiError(409, EXISTENT_LUN, "LUN already exists", ref=str(lun))
        return lun

    @staticmethod
    def _vlun_type(hostname, position):
        """The VLUN type of an export: to a port, a host, a host on one port (matched set) or a host set."""
        if hostname is None:
            return VLUN_PORT
        if hostname.startswith("set:"):
            return VLUN_HOST_SET
        return VLUN_MATCHED_SET if position is not None else VLUN_HOST

    # ------------------------------------------------------------------ views and the other calls

    def _template_view(self, tpl):
        """The template line of a listing (``active`` false); one volume's WWN and serial when it names one."""
        volumes = self._expand_volumes(tpl["volumeName"])
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
            template["serial"] = self._vlun_serial(vol)
        return template

    def _active_view(self, tpl, triple, vol, host, port, protocol):
        """One active VLUN: a (volume, lun, host) of the template seen through a port (by anyone, without host)."""
        volume, lun, host_name = triple
        active = {"lun": lun, "volumeName": volume, "type": tpl["type"], "active": True,
                  "portPos": dict(port["portPos"]), "multipathing": 1, "failedPathPol": 1,
                  "failedPathInterval": 0, "volumeWWN": vol["wwn"], "serial": self._vlun_serial(vol)}
        if host is not None:
            active["hostname"] = host_name
            active["remoteName"] = (host["_fc"] + host["_iscsi"] + host["_nqn"])[0]
        if protocol == PROTO_NVME:
            active["Subsystem_NQN"] = self.subsystem_nqn()
        return active

    def _vlun_views(self, tpl):
        """The listing of one template: its template line, then its active VLUNs."""
        template = self._template_view(tpl)
        views = []
        nvme_template = False
        for triple in self._template_luns(tpl):
            volume, _lun, host_name = triple
            vol = self.db["volumes"].get(volume)
            host = self.db["hosts"].get(host_name) if host_name else None
            if vol is None:
                continue
            protocol = self._host_protocol(host) if host else None
            if host is not None and protocol is None:
                continue
            for port in self._ready_ports(protocol, tpl.get("portPos")):
                views.append(self._active_view(tpl, triple, vol, host, port, protocol))
                nvme_template = nvme_template or protocol == PROTO_NVME
        if nvme_template or any(self._host_protocol(self.db["hosts"][h]) == PROTO_NVME
                                for h in self._expand_hosts(tpl.get("hostname")) if h in self.db["hosts"]):
            template["Subsystem_NQN"] = self.subsystem_nqn()
        return [template] + views

    def list_vluns(self, query=None):
        """GET /vluns: every template and active VLUN, or those ``?query=`` selects."""
        views = []
        for tpl in self.db["vluns"]:
            views.extend(self._vlun_views(tpl))
        return 200, collection(matching(views, query)), {}

    def _find_templates(self, vlun_id, port_must_exist=False):
        """The templates a VLUN id ``volume,lun,host[,n:s:p]`` names (host empty for a port export); 404/19 if none."""
        # port_must_exist (DELETE): a port the array does not have is 400/55, not 404/19 (spec §3.8).
        parts = vlun_id.split(",")
        if len(parts) not in (3, 4):
            raise errors.not_found("vlun", vlun_id)
        volume, lun_text, hostname = parts[0], parts[1], parts[2]
        try:
            lun = int(lun_text)
        except ValueError:
            raise errors.wrong_type("lun")
        position = None
        if len(parts) == 4:
            try:
                node, slot, card = (int(value) for value in parts[3].split(":"))
            except ValueError:
                raise errors.bad_port(parts[3])
            position = {"node": node, "slot": slot, "cardPort": card}
            if port_must_exist and self._port(position) is None:
                raise errors.bad_port(parts[3])
        if hostname and not hostname.startswith("set:") and hostname not in self.db["hosts"]:
            raise errors.not_found("host", hostname)
        found = [tpl for tpl in self.db["vluns"]
                 if tpl["volumeName"] == volume and tpl["lun"] == lun and (tpl.get("hostname") or "") == hostname
                 and (position is None or tpl.get("portPos") == position)]
        if not found:
            raise errors.not_found("vlun", vlun_id)
        return found

    def get_vlun(self, vlun_id):
        """GET /vluns/<id>: the template(s) an id names, with their active VLUNs."""
        views = []
        for tpl in self._find_templates(vlun_id):
            views.extend(self._vlun_views(tpl))
        return 200, collection(views), {}

    def delete_vlun(self, vlun_id):
        """DELETE /vluns/<id>: remove the template(s) an id names (a port the array lacks: 400/55)."""
        for tpl in self._find_templates(vlun_id, port_must_exist=True):
            self.db["vluns"].remove(tpl)
        self.dirty = True
        return 200, None, {}
