"""Target ports: GET /ports, GET /ports/<n:s:p>/iSCSIVlans, the NVMe subsystem NQN, and the ports of
POST /_sim/seed."""

import copy

from .. import errors
from ..errors import INV_INPUT_MISSING_REQUIRED, WsapiError
from .common import PROTO_FC, PROTO_IP, PROTO_ISCSI, PROTO_NVME, collection, port_key


def _rcip_port(node):
    """The RCIP port of a node (remote copy over IP): protocol 4 (IP), type 7 (RCIP), mode 4 (peer), not a target."""
    ip = "127.0.0.%d" % (31 + node)
    return {"portPos": {"node": node, "slot": 4, "cardPort": 1}, "mode": 4, "linkState": 4, "type": 7,
            "protocol": PROTO_IP, "label": "RCIP-%d" % (node + 1), "IPAddr": ip,
            "HWAddr": "0002AC0CAF%02X" % (0x30 + node), "failoverState": 1}


def default_ports(rcip=False):
    """Ready target ports on loopback addresses: FC, iSCSI and NVMe/TCP on both nodes (and ``rcip``: an RCIP port)."""
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
        if rcip:
            ports.append(_rcip_port(node))
    return ports


class Ports:
    """Mixin of ArrayState: the port table (``db["ports"]``, a list of port objects)."""

    def list_ports(self):
        """GET /ports: every port."""
        return 200, collection(copy.deepcopy(self.db["ports"])), {}

    def port_vlans(self, position):
        """GET /ports/<n:s:p>/iSCSIVlans: none, on any port that exists (404/20 otherwise)."""
        if not any(port_key(port["portPos"]) == position for port in self.db["ports"]):
            raise errors.not_found("port", position)
        return 200, {"iSCSIVlans": []}, {}

    def _ready_ports(self, protocol, position=None):
        """Target ports that are up, of ``protocol`` (any if None), at ``position`` (any if None)."""
        ports = []
        for port in self.db["ports"]:
            if port.get("mode") != 2 or port.get("linkState") != 4:
                continue
            if position is not None and port_key(port["portPos"]) != port_key(position):
                continue
            if protocol is not None and port.get("protocol") != protocol:
                continue
            ports.append(port)
        return ports

    def _port(self, position):
        """The port at ``position`` ({node, slot, cardPort}), or None."""
        return next((port for port in self.db["ports"] if port_key(port["portPos"]) == port_key(position)), None)

    def _port_protocol(self, position):
        """The protocol of the port at ``position``, None if there is no such port."""
        port = self._port(position)
        return port.get("protocol") if port else None

    def subsystem_nqn(self):
        """The array's NVMe subsystem NQN (derived from the system uuid)."""
        return "nqn.2020-07.com.hpe:%s" % self.db["system"]["uuid"]

    @staticmethod
    def _check_port_pos(position):
        """A port position is exactly {node, slot, cardPort}, non-negative integers (400/55 otherwise)."""
        if set(position) != {"node", "slot", "cardPort"} or not all(
                isinstance(value, int) and not isinstance(value, bool) and value >= 0 for value in position.values()):
            raise errors.bad_port("portPos")

    def _seed_ports(self, ports):
        """The ports of POST /_sim/seed: each replaces the port at its position, or is added."""
        for port in ports:
            if not isinstance(port.get("portPos"), dict):
                raise WsapiError(400, INV_INPUT_MISSING_REQUIRED, "port needs portPos", ref="portPos")
            self._check_port_pos(port["portPos"])
            key = port_key(port["portPos"])
            self.db["ports"] = [item for item in self.db["ports"] if port_key(item["portPos"]) != key]
            self.db["ports"].append(copy.deepcopy(port))
