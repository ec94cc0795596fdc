# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated fabric (tests/fabric): bin/nvme, bin/iscsiadm and bin/multipath run as subprocesses
against a fake simulator endpoint (the /_sim/fabric contract) and make real loop devices over sparse
data files this test writes. Needs root and loop devices; skipped otherwise."""

import http.server
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import threading
import urllib.parse

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fabric  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.join(HERE, "bin")
MIB = 1024 * 1024
NVME_ADDRESS = "127.0.0.21"
ISCSI_ADDRESS = "127.0.0.11"
SUBSYSTEM = "nqn.2020-07.com.hpe:alletra-sim.subsystem"
ISCSI_TARGET = "iqn.2000-05.com.3pardata:20210002ac021f6b"
NQN_A = "nqn.2014-08.org.nvmexpress:uuid:0aaa0000-0000-4000-8000-00000000000a"
NQN_B = "nqn.2014-08.org.nvmexpress:uuid:0bbb0000-0000-4000-8000-00000000000b"
IQN_A = "iqn.1993-08.org.debian:01:hosta"
IQN_B = "iqn.1993-08.org.debian:01:hostb"
HOSTID = "0aaa0000-0000-4000-8000-00000000000a"
PORTALS = [{"address": NVME_ADDRESS, "port": 4420, "qualified_name": SUBSYSTEM, "protocol": "nvme"},
           {"address": ISCSI_ADDRESS, "port": 3260, "qualified_name": ISCSI_TARGET, "protocol": "iscsi"}]


def loop_devices_work():
    """None when this process can attach and detach a loop device, else why not."""
    if os.geteuid() != 0 or not os.path.exists("/dev/loop-control"):
        return "no loop devices for the emulated fabric: it needs root and /dev/loop-control"
    with tempfile.NamedTemporaryFile(prefix="fabric-probe-") as probe:
        probe.truncate(MIB)
        probe.flush()
        attached = subprocess.run(["losetup", "--find", "--show", probe.name], capture_output=True, text=True, check=False)
        if attached.returncode != 0:
            return "no loop devices for the emulated fabric: `losetup --find --show` said %s" % attached.stderr.strip()
        subprocess.run(["losetup", "-d", attached.stdout.strip()], check=False)
    return None


LOOPS_MISSING = loop_devices_work()
pytestmark = pytest.mark.skipif(LOOPS_MISSING is not None, reason=str(LOOPS_MISSING))


class FakeSim(http.server.ThreadingHTTPServer):
    """GET /_sim/fabric and /_sim/fabric/discovery from ``views`` (initiator -> view) and ``portals``."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeSimHandler)
        self.views, self.portals, self.asked = {}, list(PORTALS), []

    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def export(self, initiator, protocol, *exports):
        """Export volumes (``volume()`` dicts) to ``initiator`` over the protocol's one target."""
        target = next(dict(portal, port_pos="0:2:1") for portal in self.portals if portal["protocol"] == protocol)
        target.pop("protocol")
        self.views[initiator] = {"host": "host-" + initiator[-5:], "protocol": protocol, "targets": [target],
                                 "exports": list(exports)}

    def answer(self, path, query):
        self.asked.append((path, query))
        if path == "/_sim/fabric":
            return self.views.get(query["initiator"], {"host": None, "protocol": None, "targets": [], "exports": []})
        return [portal for portal in self.portals
                if portal["address"] == query["address"] and portal["protocol"] == query["protocol"]]


class FakeSimHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (BaseHTTPRequestHandler's name)
        url = urllib.parse.urlsplit(self.path)
        body = json.dumps(self.server.answer(url.path, dict(urllib.parse.parse_qsl(url.query)))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def sim():
    server = FakeSim()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class Host:
    """The environment of the tools, and helpers to make volumes, run the tools and inspect."""

    def __init__(self, tmp_path, sim_server):
        self.tmp, self.sim = tmp_path, sim_server
        self.state, self.links = str(tmp_path / "state"), str(tmp_path / "by-id")
        self.env = {name: value for name, value in os.environ.items() if not name.startswith("ALLETRA_FABRIC_")}
        self.env.update({"PATH": BIN + os.pathsep + os.environ.get("PATH", os.defpath), "ALLETRA_FABRIC_SIM": sim_server.url(),
                         "ALLETRA_FABRIC_STATE": self.state, "ALLETRA_FABRIC_DEV": self.links})

    def volume(self, name="vol1", size_mib=8, wwn="60002AC0000000000000000A00021F6B",
               nguid="60002AC0000000000000000A00021F6B"[::-1], lun=1):
        """A sparse data file of ``size_mib`` and its export record."""
        path = str(self.tmp / ("%s.img" % name))
        with open(path, "wb") as handle:
            handle.truncate(size_mib * MIB)
        return {"volume": name, "lun": lun, "wwn": wwn, "nguid": nguid, "size_mib": size_mib, "data_file": path}

    def run(self, *args, **env):
        return subprocess.run(list(args), env=dict(self.env, **env), capture_output=True, text=True, timeout=120, check=False)

    def nvme_connect(self, nqn=NQN_A, address=NVME_ADDRESS, subsystem=SUBSYSTEM):
        return self.run("nvme", "connect", "--transport", "tcp", "--traddr", address, "--trsvcid", "4420",
                        "--nqn", subsystem, "--hostnqn", nqn, "--hostid", HOSTID)

    def iscsi_login(self, iqn=IQN_A):
        node = ["iscsiadm", "--mode", "node", "--targetname", ISCSI_TARGET, "--portal", "%s:3260" % ISCSI_ADDRESS]
        created = self.run(*node, "--op", "new", ALLETRA_FABRIC_IQN=iqn)
        assert created.returncode == 0, created.stderr
        return self.run(*node, "--login", ALLETRA_FABRIC_IQN=iqn)

    def link(self, name):
        return os.path.join(self.links, name)

    def linked(self):
        """The names in the link folder (none before the first link)."""
        return sorted(os.listdir(self.links)) if os.path.isdir(self.links) else []

    def loops(self, volume=None):
        """The loop devices over a volume's data file (by path, also once replaced), or over any file
        of this test."""
        listing = json.loads(subprocess.run(["losetup", "--list", "--json"], capture_output=True, text=True,
                                            check=True).stdout or '{"loopdevices": []}')["loopdevices"]
        paths = [(item["name"], (item["back-file"] or "").replace(fabric.DELETED, "")) for item in listing]
        return sorted(name for name, path in paths
                      if (path == volume["data_file"] if volume else path.startswith(str(self.tmp) + os.sep)))


@pytest.fixture
def host(tmp_path, sim):
    made = Host(tmp_path, sim)
    yield made
    kept = fabric.cleanup(made.state)
    leftovers = made.loops()
    for loop in leftovers:
        subprocess.run(["losetup", "-d", loop], check=False)
    assert not kept and not leftovers, "the fabric left loop devices behind: %s" % (kept or leftovers)


def read_device(path, offset, length):
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


def write_file(path, offset, data):
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def test_fabric_tool_versions_need_no_state(host):
    plain = {"ALLETRA_FABRIC_STATE": "", "ALLETRA_FABRIC_SIM": ""}
    nvme, iscsiadm = host.run("nvme", "version", **plain), host.run("iscsiadm", "--version", **plain)
    assert (nvme.returncode, iscsiadm.returncode) == (0, 0)
    assert nvme.stdout.startswith("nvme version 2.8")
    assert iscsiadm.stdout.strip() == "iscsiadm version 2.1.9"


def test_fabric_nvme_discover_prints_the_discovery_log(host):
    found = host.run("nvme", "discover", "--transport", "tcp", "--traddr", NVME_ADDRESS, "--trsvcid", "8009",
                     "--hostnqn", NQN_A, "--hostid", HOSTID, "--output-format", "json")
    assert found.returncode == 0, found.stderr
    log = json.loads(found.stdout)
    subsystems = [record for record in log["records"] if record["subtype"] == "nvme subsystem"]
    assert log["genctr"] >= 1 and len(subsystems) == 1
    assert subsystems[0] == {"trtype": "tcp", "adrfam": "ipv4", "subtype": "nvme subsystem", "treq": "not specified",
                             "portid": 1, "trsvcid": "4420", "subnqn": SUBSYSTEM, "traddr": NVME_ADDRESS,
                             "eflags": "none", "sectype": "none"}


def test_fabric_nvme_discover_where_nothing_answers(host):
    found = host.run("nvme", "discover", "--transport", "tcp", "--traddr", "127.0.0.99", "--trsvcid", "8009",
                     "--hostnqn", NQN_A, "--output-format", "json")
    assert (found.returncode, found.stdout.strip()) == (1, "No discovery log entries to fetch.")


def test_fabric_nvme_connect_makes_a_block_device_with_the_volume_bytes(host):
    volume = host.volume()
    write_file(volume["data_file"], 3 * MIB + 5, b"alletra-fabric")
    host.sim.export(NQN_A, "nvme", volume)
    connected = host.nvme_connect()
    assert connected.returncode == 0, connected.stderr
    link = host.link("nvme-eui." + volume["nguid"].lower())
    device = os.path.realpath(link)
    assert os.readlink(link) == os.path.relpath(device, host.links)
    assert re.fullmatch(r"/dev/loop\d+", device) and stat.S_ISBLK(os.stat(device).st_mode)
    assert host.loops(volume) == [device]
    assert read_device(device, 3 * MIB + 5, 14) == b"alletra-fabric"
    assert fabric.loop_size(device) == 8 * MIB
    listed = json.loads(host.run("nvme", "list", "-o", "json", ALLETRA_FABRIC_NQN=NQN_A).stdout)
    assert [item["DevicePath"] for item in listed["Devices"]] == [device]


def test_fabric_nvme_connect_twice_keeps_one_device(host):
    volume = host.volume()
    host.sim.export(NQN_A, "nvme", volume)
    first, second = host.nvme_connect(), host.nvme_connect()
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    assert len(host.loops(volume)) == 1
    with fabric.locked_state(host.state) as state:
        assert len(state["sessions"]) == 1 and len(state["devices"]) == 1


def test_fabric_nvme_disconnect_removes_loop_and_link(host):
    volume = host.volume()
    host.sim.export(NQN_A, "nvme", volume)
    assert host.nvme_connect().returncode == 0
    link = host.link("nvme-eui." + volume["nguid"].lower())
    assert os.path.islink(link)
    gone = host.run("nvme", "disconnect", "--nqn", SUBSYSTEM, ALLETRA_FABRIC_NQN=NQN_A)
    assert (gone.returncode, gone.stdout.strip()) == (0, "NQN:%s disconnected 1 controller(s)" % SUBSYSTEM)
    assert not os.path.lexists(link) and host.loops(volume) == []
    again = host.run("nvme", "disconnect", "--nqn", SUBSYSTEM, ALLETRA_FABRIC_NQN=NQN_A)
    assert (again.returncode, again.stdout.strip()) == (0, "NQN:%s disconnected 0 controller(s)" % SUBSYSTEM)


def test_fabric_nvme_connect_to_a_subsystem_not_there_fails(host):
    refused = host.nvme_connect(subsystem="nqn.2020-07.com.hpe:not-this-one")
    assert refused.returncode == 1 and "Failed to write to /dev/nvme-fabrics" in refused.stderr
    with fabric.locked_state(host.state) as state:
        assert state["sessions"] == []


def test_fabric_iscsi_sendtargets_discovery(host):
    args = ["iscsiadm", "--mode", "discovery", "--type", "sendtargets", "--op", "nonpersistent", "--portal"]
    found = host.run(*args, "%s:3260" % ISCSI_ADDRESS, ALLETRA_FABRIC_IQN=IQN_A)
    assert (found.returncode, found.stdout) == (0, "%s:3260,1 %s\n" % (ISCSI_ADDRESS, ISCSI_TARGET))
    nothing = host.run(*args, "127.0.0.99:3260", ALLETRA_FABRIC_IQN=IQN_A)
    assert nothing.returncode == 4 and "Could not perform SendTargets discovery" in nothing.stderr


def test_fabric_iscsi_login_and_logout_exit_codes(host):
    volume = host.volume()
    host.sim.export(IQN_A, "iscsi", volume)
    assert host.iscsi_login().returncode == 0
    wwn = volume["wwn"].lower()
    device = os.path.realpath(host.link("scsi-3" + wwn))
    assert device == os.path.realpath(host.link("wwn-0x" + wwn)) and host.loops(volume) == [device]
    assert host.iscsi_login().returncode == 15
    listed = host.run("iscsiadm", "--mode", "session", ALLETRA_FABRIC_IQN=IQN_A)
    assert re.fullmatch(r"tcp: \[\d+\] %s:3260,1 %s \(non-flash\)\n" % (re.escape(ISCSI_ADDRESS), re.escape(ISCSI_TARGET)),
                        listed.stdout)
    node = ["iscsiadm", "--mode", "node", "--targetname", ISCSI_TARGET]
    assert host.run(*node, "--logout", ALLETRA_FABRIC_IQN=IQN_A).returncode == 0
    assert host.loops(volume) == [] and host.linked() == []
    assert host.run(*node, "--logout", ALLETRA_FABRIC_IQN=IQN_A).returncode == 21
    none = host.run("iscsiadm", "--mode", "session", ALLETRA_FABRIC_IQN=IQN_A)
    assert (none.returncode, none.stderr) == (21, "iscsiadm: No active sessions.\n")
    assert host.run(*node, "--op", "delete", ALLETRA_FABRIC_IQN=IQN_A).returncode == 0


def test_fabric_iscsi_rescan_attaches_a_new_export(host):
    host.sim.export(IQN_A, "iscsi")
    assert host.iscsi_login().returncode == 0
    assert host.linked() == []
    volume = host.volume()
    host.sim.export(IQN_A, "iscsi", volume)
    with fabric.locked_state(host.state) as state:
        sid = state["sessions"][0]["sid"]
    rescan = host.run("iscsiadm", "--mode", "session", "--sid", str(sid), "--rescan", ALLETRA_FABRIC_IQN=IQN_A)
    assert rescan.returncode == 0 and rescan.stdout.startswith("Rescanning session [sid: %d" % sid)
    assert len(host.loops(volume)) == 1 and os.path.islink(host.link("scsi-3" + volume["wwn"].lower()))


def test_fabric_two_initiators_share_one_volume(host):
    volume = host.volume()
    host.sim.export(IQN_A, "iscsi", volume)
    host.sim.export(IQN_B, "iscsi", volume)
    assert host.iscsi_login(IQN_A).returncode == 0 and host.iscsi_login(IQN_B).returncode == 0
    loops = host.loops(volume)
    link = host.link("wwn-0x" + volume["wwn"].lower())
    assert len(loops) == 2 and os.path.realpath(link) in loops
    first = os.path.realpath(link)
    with fabric.locked_state(host.state) as state:
        owner = fabric.find_device(state, first)[0]["initiator"]
    logout = ["iscsiadm", "--mode", "node", "--targetname", ISCSI_TARGET, "--logout"]
    assert host.run(*logout, ALLETRA_FABRIC_IQN=owner).returncode == 0
    assert host.loops(volume) == [loop for loop in loops if loop != first]
    assert os.path.realpath(link) == host.loops(volume)[0]
    assert host.run(*logout, ALLETRA_FABRIC_IQN=IQN_B if owner == IQN_A else IQN_A).returncode == 0
    assert host.loops(volume) == [] and host.linked() == []


def test_fabric_detaches_an_export_removed_at_the_next_invocation(host):
    kept, dropped = host.volume("kept", nguid="11" * 16), host.volume("dropped", nguid="22" * 16)
    host.sim.export(NQN_A, "nvme", kept, dropped)
    assert host.nvme_connect().returncode == 0
    assert host.linked() == ["nvme-eui." + "11" * 16, "nvme-eui." + "22" * 16]
    host.sim.export(NQN_A, "nvme", kept)
    assert host.run("iscsiadm", "--version").returncode == 0
    assert host.linked() == ["nvme-eui." + "11" * 16]
    assert host.loops(dropped) == [] and len(host.loops(kept)) == 1


def test_fabric_keeps_a_mounted_device_until_it_is_unmounted(host):
    volume = host.volume(size_mib=16)
    host.sim.export(NQN_A, "nvme", volume)
    assert host.nvme_connect().returncode == 0
    device = os.path.realpath(host.link("nvme-eui." + volume["nguid"].lower()))
    mount_point = host.tmp / "mnt"
    mount_point.mkdir()
    made = subprocess.run(["mkfs.ext4", "-q", "-F", device], capture_output=True, text=True, check=False)
    mounted = made.returncode == 0 and subprocess.run(["mount", device, str(mount_point)], capture_output=True,
                                                      check=False).returncode == 0
    if not mounted:
        pytest.skip("cannot make and mount a file system here: %s" % made.stderr.strip())
    try:
        gone = host.run("nvme", "disconnect", "--nqn", SUBSYSTEM, ALLETRA_FABRIC_NQN=NQN_A)
        assert gone.returncode == 0 and "is in use (mounted at %s)" % mount_point in gone.stderr
        assert host.loops(volume) == [device] and os.path.islink(host.link("nvme-eui." + volume["nguid"].lower()))
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
    assert host.run("nvme", "list", "-o", "json").returncode == 0
    assert host.loops(volume) == [] and host.linked() == []


def test_fabric_cleanup_leaves_no_loop_device_or_link(host):
    shared = host.volume()
    host.sim.export(NQN_A, "nvme", shared)
    host.sim.export(IQN_A, "iscsi", shared)
    host.sim.export(IQN_B, "iscsi", shared)
    assert host.nvme_connect().returncode == 0
    assert host.iscsi_login(IQN_A).returncode == 0 and host.iscsi_login(IQN_B).returncode == 0
    assert len(host.loops(shared)) == 3 and len(host.linked()) == 3
    cleaned = subprocess.run([sys.executable, os.path.join(HERE, "fabric.py"), "cleanup"], env=host.env,
                             capture_output=True, text=True, check=False)
    assert cleaned.returncode == 0, cleaned.stderr
    assert host.loops(shared) == [] and host.linked() == []
    assert shared["data_file"] not in subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    with fabric.locked_state(host.state) as state:
        assert (state["sessions"], state["devices"], state["links"]) == ([], [], {})


def test_fabric_multipath_shows_a_ready_path_without_a_dm_layer(host):
    volume = host.volume()
    host.sim.export(IQN_A, "iscsi", volume)
    assert host.iscsi_login().returncode == 0
    link = host.link("scsi-3" + volume["wwn"].lower())
    device = os.path.realpath(link)
    shown = host.run("multipath", "-ll", device)
    assert shown.returncode == 0 and "active ready running" in shown.stdout
    assert shown.stdout.startswith("3%s %s " % (volume["wwn"].lower(), os.path.basename(device)))
    assert host.run("multipath", "-ll", link).stdout == shown.stdout
    assert host.run("multipath", device).returncode == 0
    assert host.run("multipath", "-f", device).returncode == 0
    assert host.run("multipath", "-ll", "/dev/loop-not-attached").returncode == 1
    assert os.path.realpath(link) == device


def test_fabric_parallel_connects_keep_one_consistent_state(host):
    volume = host.volume()
    initiators = ["nqn.2014-08.org.nvmexpress:uuid:host-%d" % number for number in range(4)]
    for nqn in initiators:
        host.sim.export(nqn, "nvme", volume)
    runs = [subprocess.Popen(["nvme", "connect", "-t", "tcp", "-a", NVME_ADDRESS, "-s", "4420", "-n", SUBSYSTEM, "-q", nqn],
                             env=host.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for nqn in initiators]
    assert [run.wait(timeout=120) for run in runs] == [0] * 4
    with fabric.locked_state(host.state) as state:
        assert sorted(device["initiator"] for device in state["devices"]) == sorted(initiators)
        assert sorted(device["loop"] for device in state["devices"]) == host.loops(volume)
    assert len(host.loops(volume)) == 4 and os.path.realpath(host.link("nvme-eui." + volume["nguid"].lower())) in host.loops(volume)


def test_fabric_follows_a_grown_or_replaced_data_file(host):
    volume = host.volume()
    host.sim.export(NQN_A, "nvme", volume)
    assert host.nvme_connect().returncode == 0
    link = host.link("nvme-eui." + volume["nguid"].lower())
    with open(volume["data_file"], "r+b") as handle:
        handle.truncate(12 * MIB)
    assert host.run("nvme", "list", "-o", "json").returncode == 0
    assert fabric.loop_size(os.path.realpath(link)) == 12 * MIB
    replacement = volume["data_file"] + ".new"
    with open(replacement, "wb") as handle:
        handle.truncate(12 * MIB)
    write_file(replacement, MIB, b"promoted")
    os.replace(replacement, volume["data_file"])
    assert host.run("nvme", "list", "-o", "json").returncode == 0
    assert read_device(os.path.realpath(link), MIB, 8) == b"promoted" and len(host.loops(volume)) == 1


def test_fabric_refuses_command_lines_it_does_not_emulate(host):
    assert host.run("nvme", "format", "/dev/nvme0n1").returncode == 1
    wrong = host.run("iscsiadm", "--mode", "fw")
    assert wrong.returncode == 7 and wrong.stderr.startswith("iscsiadm: ")
    assert host.run("multipath", "-a", "/dev/sdb").returncode == 1
    assert host.run("iscsiadm", "--mode", "node", "--targetname", ISCSI_TARGET, "--login",
                    ALLETRA_FABRIC_IQN=IQN_A).returncode == 21


def test_fabric_keeps_devices_while_the_simulator_is_down(host):
    volume = host.volume()
    host.sim.export(NQN_A, "nvme", volume)
    assert host.nvme_connect().returncode == 0
    down = "http://127.0.0.1:1"
    listed = host.run("nvme", "list", "-o", "json", ALLETRA_FABRIC_SIM=down, ALLETRA_FABRIC_NQN=NQN_A)
    assert listed.returncode == 0 and "devices of %s left as they are" % NQN_A in listed.stderr
    assert len(json.loads(listed.stdout)["Devices"]) == 1 and len(host.loops(volume)) == 1
    refused = host.run("nvme", "connect", "-t", "tcp", "-a", NVME_ADDRESS, "-s", "4420", "-n", SUBSYSTEM, "-q", NQN_B,
                       ALLETRA_FABRIC_SIM=down)
    assert refused.returncode == 1 and "Failed to write to /dev/nvme-fabrics" in refused.stderr


def test_fabric_modprobe_loads_only_the_fabric_modules(host):
    for module in ("nvme_fabrics", "nvme_tcp", "iscsi_tcp"):
        assert host.run("modprobe", "-b", module).returncode == 0
    missing = host.run("modprobe", "-b", "alletra_no_such_module")
    assert missing.returncode != 0 and "alletra_no_such_module" in missing.stderr


def test_fabric_one_host_attached_to_two_arrays(host):
    """ALLETRA_FABRIC_SIM with two simulators: discovery asks both, each array's exports show through the
    sessions to its own targets, and disconnecting from one array keeps the other's device."""
    other = FakeSim()
    other.portals = [{"address": "127.0.0.41", "port": 4420, "qualified_name": SUBSYSTEM + ".b", "protocol": "nvme"}]
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    try:
        host.env["ALLETRA_FABRIC_SIM"] = "%s %s" % (host.sim.url(), other.url())
        first, second = host.volume("vol-a"), host.volume("vol-b", nguid="0" * 31 + "b", wwn="60002AC000000000000000000000000B")
        host.sim.export(NQN_A, "nvme", first)
        other.export(NQN_A, "nvme", second)
        assert host.nvme_connect().returncode == 0
        assert len(host.loops()) == 1, "only array A's target is connected so far"
        assert host.nvme_connect(address="127.0.0.41", subsystem=SUBSYSTEM + ".b").returncode == 0
        assert len(host.loops(first)) == 1 and len(host.loops(second)) == 1
        assert any(path == "/_sim/fabric/discovery" for path, _query in other.asked)
        gone = host.run("nvme", "disconnect", "--nqn", SUBSYSTEM, ALLETRA_FABRIC_NQN=NQN_A)
        assert gone.returncode == 0 and host.loops(first) == [] and len(host.loops(second)) == 1
    finally:
        fabric.cleanup(host.state)
        other.shutdown()
        other.server_close()
