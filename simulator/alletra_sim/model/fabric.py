"""The fabric's view of the array (control plane only): GET /_sim/fabric (what the array exports to the host
entity of an initiator, and through which target ports) and GET /_sim/fabric/discovery (the targets at an
address, as ``nvme discover`` or an iSCSI sendtargets discovery would list them).

Exports are read from the active VLUNs GET /vluns shows, so the fabric sees exactly what the array says.
"""

from .. import errors
from .common import PROTO_ISCSI, PROTO_NVME, port_key

# Fabric protocol name -> (port protocol, host record member holding that kind of initiator).
FABRIC_PROTOCOLS = {"nvme": (PROTO_NVME, "_nqn"), "iscsi": (PROTO_ISCSI, "_iscsi")}
NVME_PORT, ISCSI_PORT = 4420, 3260


class Fabric:
    """Mixin of ArrayState: the host side's view of exports and target ports."""

    def _initiator_host(self, initiator):
        """(host record, protocol name) of the host entity with ``initiator`` (case-insensitive), or (None, None)."""
        wanted = initiator.lower()
        for host in self.db["hosts"].values():
            for protocol, (_port_protocol, member) in FABRIC_PROTOCOLS.items():
                if any(path.lower() == wanted for path in host[member]):
                    return host, protocol
        return None, None

    def _fabric_target(self, port, protocol):
        """A ready port as the fabric connects to it (address, port, qualified_name, port_pos); None without address."""
        if protocol == "iscsi":
            address, tcp_port, name = port.get("IPAddr"), ISCSI_PORT, port.get("iSCSIName")
        else:
            address, tcp_port, name = port.get("IPAddr") or port.get("nodeWWN"), NVME_PORT, self.subsystem_nqn()
        if not address:
            return None
        return {"address": address, "port": tcp_port, "qualified_name": name, "port_pos": port_key(port["portPos"])}

    def _fabric_targets(self, protocol):
        """Every ready target port of ``protocol`` (a fabric protocol name) as _fabric_target gives it."""
        targets = (self._fabric_target(port, protocol) for port in self._ready_ports(FABRIC_PROTOCOLS[protocol][0]))
        return [target for target in targets if target is not None]

    def _fabric_exports(self, host, protocol):
        """The volumes ``host`` reaches by host, host-set and port VLUNs of its protocol, each once (lowest LUN)."""
        port_protocol = FABRIC_PROTOCOLS[protocol][0]
        luns = {}
        for view in self.list_vluns()[1]["members"]:
            if not view["active"]:
                continue
            if "hostname" in view:
                reached = view["hostname"] == host["name"]
            else:
                reached = self._port_protocol(view["portPos"]) == port_protocol
            if reached:
                luns[view["volumeName"]] = min(view["lun"], luns.get(view["volumeName"], view["lun"]))
        exports = []
        for name, lun in sorted(luns.items(), key=lambda item: (item[1], item[0])):
            vol = self.db["volumes"][name]
            exports.append({"volume": name, "lun": lun, "wwn": vol["wwn"], "nguid": vol["nguid"],
                            "size_mib": vol["sizeMiB"], "data_file": self.data.path(vol)})
        return exports

    def fabric(self, query):
        """GET /_sim/fabric?initiator=<nqn or iqn>: the host entity, its protocol, target ports and exports."""
        initiator = query.get("initiator")
        if not initiator:
            raise errors.missing("initiator")
        host, protocol = self._initiator_host(initiator)
        if host is None:
            return {"host": None, "protocol": None, "targets": [], "exports": []}
        return {"host": host["name"], "protocol": protocol, "targets": self._fabric_targets(protocol),
                "exports": self._fabric_exports(host, protocol)}

    def fabric_discovery(self, query):
        """GET /_sim/fabric/discovery?address=<ip>[&protocol=nvme|iscsi]: the ready targets at that address."""
        address = query.get("address")
        if not address:
            raise errors.missing("address")
        protocol = query.get("protocol")
        if protocol is not None and protocol not in FABRIC_PROTOCOLS:
            raise errors.bad_enum("protocol")
        found = []
        for name in [protocol] if protocol else list(FABRIC_PROTOCOLS):
            for target in self._fabric_targets(name):
                if target["address"] == address:
                    found.append({"address": address, "port": target["port"],
                                  "qualified_name": target["qualified_name"], "protocol": name})
        return found
