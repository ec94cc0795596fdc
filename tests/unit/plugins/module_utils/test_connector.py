# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host-side connector against a fake host: a tree of files under tmp_path (sysfs, /dev,
/proc, /etc), a runner that answers the expected commands in order and fails the test on any
other one or on one never run, and a clock that jumps instead of sleeping."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import time

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import connector
from ansible_collections.alletra.storage.plugins.module_utils.connector import ConnectorError

HOST_NQN = "nqn.2014-08.org.nvmexpress:uuid:6f0c6b43-1c5a-4cbd-a8a6-4a5b9e1f2d10"
HOST_ID = "6f0c6b43-1c5a-4cbd-a8a6-4a5b9e1f2d10"
HOST_IQN = "iqn.1993-08.org.debian:01:host01"
ARRAY_NQN = "nqn.2020-07.com.hpe:9a1f0e34-2b7c-4c1d-8e5f-0a1b2c3d4e5f"
ARRAY_IQN = "iqn.2000-05.com.3pardata:20210002ac021f6b"
OTHER_IQN = "iqn.2000-05.com.3pardata:21210002ac021f6b"
NGUID = "2F0DA1C6B4E5D3F000002AC0000A1B2C"
WWN = "60002AC000000000000000160001AFB6"
TOOLS = ("nvme", "iscsiadm", "multipath", "modprobe")
MODULES = ("nvme_fabrics", "nvme_tcp", "iscsi_tcp")
MULTIPATH_LL_READY = ("mpatha (3%s) dm-3 3PARdata,VV\n`-+- policy='service-time 0' prio=50 status=active\n"
                      "  |- 3:0:0:1 sdb 8:16 active ready running\n" % WWN.lower())
MODPROBE_NOT_FOUND = "modprobe: FATAL: Module %s not found in directory /lib/modules/6.8.0-45-generic\n"
MULTIPATH_LL_WAITING = MULTIPATH_LL_READY.replace("active ready running", "failed faulty running")


class FakeRunner(object):
    """AnsibleModule.run_command for the commands a test expects, in order: each answers its
    (rc, stdout, stderr) and may change the fake host (``effect``). Any other command, or one
    expected and never run, fails the test."""

    def __init__(self):
        self.expected = []

    def expect(self, args, rc=0, out="", err="", effect=None):
        self.expected.append((list(args), (rc, out, err), effect))
        return self

    def __call__(self, args):
        if not self.expected:
            pytest.fail("unexpected command %r (nothing more was expected)" % (args,))
        wanted, answer, effect = self.expected.pop(0)
        if list(args) != wanted:
            pytest.fail("unexpected command %r, expected %r" % (args, wanted))
        if effect:
            effect()
        return answer

    def verify(self):
        if self.expected:
            pytest.fail("expected commands never run: %r" % ([args for args, dummy, dummy in self.expected],))


class FakeClock(object):
    """A monotonic clock that moves only when slept on; ``on_sleep`` hooks act as the kernel
    and udev would meanwhile."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []
        self.on_sleep = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
        for hook in list(self.on_sleep):
            hook()


class FakeHost(object):
    """A host's files under a folder: tools on PATH, kernel modules, sysfs, /dev, /proc, /etc."""

    def __init__(self, root):
        self.root = str(root)

    def path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def write(self, path, text=""):
        self.mkdir(os.path.dirname(path))
        with open(self.path(path), "w") as handle:
            handle.write(text)

    def read(self, path):
        with open(self.path(path)) as handle:
            return handle.read()

    def mkdir(self, path):
        if not os.path.isdir(self.path(path)):
            os.makedirs(self.path(path))

    def remove(self, path):
        full = self.path(path)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        elif os.path.lexists(full):
            os.remove(full)

    def tool(self, name):
        self.write("/usr/sbin/" + name, "#!/bin/sh\n")
        os.chmod(self.path("/usr/sbin/" + name), 0o755)

    def block(self, name, number, wwid=None):
        """A block device: /dev/<name>, its sysfs folders and (SCSI) its WWID."""
        self.write("/dev/" + name)
        self.write("/sys/class/block/%s/dev" % name, number + "\n")
        self.mkdir("/sys/block/%s/device" % name)
        if wwid:
            self.write("/sys/block/%s/device/wwid" % name, wwid + "\n")

    def by_id(self, name, device):
        """A udev link /dev/disk/by-id/<name> to /dev/<device>, replacing one of that name."""
        self.mkdir("/dev/disk/by-id")
        self.remove("/dev/disk/by-id/" + name)
        os.symlink("../../" + device, self.path("/dev/disk/by-id/" + name))

    def nvme_session(self, nqn, addresses):
        self.write("/sys/class/nvme-subsystem/nvme-subsys0/subsysnqn", nqn + "\n")
        for number, address in enumerate(addresses):
            self.mkdir("/sys/class/nvme-subsystem/nvme-subsys0/nvme%d" % number)
            self.write("/sys/class/nvme/nvme%d/address" % number, "traddr=%s,trsvcid=4420,src_addr=10.0.0.100\n" % address)

    def iscsi_session(self, sid, iqn, address):
        self.write("/sys/class/iscsi_session/session%d/targetname" % sid, iqn + "\n")
        self.write("/sys/class/iscsi_connection/connection%d:0/address" % sid, address + "\n")
        self.write("/sys/class/iscsi_connection/connection%d:0/port" % sid, "3260\n")

    def mount(self, number, source, mount_point):
        line = "%d 1 %s / %s rw,relatime shared:1 - ext4 %s rw\n" % (len(self.read("/proc/self/mountinfo")) + 30, number, mount_point, source)
        with open(self.path("/proc/self/mountinfo"), "a") as handle:
            handle.write(line)


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host ready for both protocols: tools installed, modules loaded, initiator files."""
    monkeypatch.setenv("PATH", "/usr/sbin:/usr/bin")
    fake = FakeHost(tmp_path)
    for tool in TOOLS:
        fake.tool(tool)
    for module in MODULES:
        fake.mkdir("/sys/module/" + module)
    fake.write("/proc/modules", "nvme_tcp 53248 0 - Live 0x0000000000000000\n")
    fake.write("/proc/self/mountinfo", "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n")
    fake.write("/etc/nvme/hostnqn", HOST_NQN + "\n")
    fake.write("/etc/iscsi/initiatorname.iscsi", "## DO NOT EDIT OR REMOVE THIS FILE!\nInitiatorName=%s\n" % HOST_IQN)
    return fake


@pytest.fixture
def runner():
    fake = FakeRunner()
    yield fake
    fake.verify()


@pytest.fixture
def clock(monkeypatch):
    def no_real_sleep(seconds):
        pytest.fail("time.sleep(%s) called: waits must use the injected sleep" % seconds)

    monkeypatch.setattr(time, "sleep", no_real_sleep)
    return FakeClock()


@pytest.fixture
def make(host, runner, clock):
    """make(mode) -> a connector over the fake host, runner and clock."""
    return lambda mode: connector.new_connector(mode, runner, root=host.root, clock=clock, sleep=clock.sleep)


def failure(call, *args, **kwargs):
    """The message of the ConnectorError that call(*args, **kwargs) raises."""
    with pytest.raises(ConnectorError) as caught:
        call(*args, **kwargs)
    return caught.value.msg


def nvme_connect(address, port=4420):
    return ["nvme", "connect", "--transport", "tcp", "--traddr", address, "--trsvcid", str(port),
            "--nqn", ARRAY_NQN, "--hostnqn", HOST_NQN]


def iscsi_node(iqn, address, *tail):
    return ["iscsiadm", "--mode", "node", "--targetname", iqn, "--portal", "%s:3260" % address] + list(tail)


def target(address, qualified_name, port):
    return {"address": address, "port": port, "qualified_name": qualified_name}


# --- new_connector -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode, kind", [
    ("nvme", connector.NvmeConnector),
    ("nvme/tcp", connector.NvmeConnector),
    ("iSCSI", connector.IscsiConnector),
])
def test_new_connector_picks_the_protocol(make, mode, kind):
    made = make(mode)
    assert isinstance(made, kind) and isinstance(made, connector.Connector)
    assert made.timeout == connector.DEFAULT_TIMEOUT


def test_new_connector_refuses_other_modes_and_timeouts(runner):
    assert "use nvme (or nvme/tcp) or iscsi" in failure(connector.new_connector, "fc", runner)
    assert "positive number of seconds" in failure(connector.new_connector, "nvme", runner, timeout=0)


# --- check_support -----------------------------------------------------------------------------


def test_check_support_with_loaded_modules_runs_only_the_version(make, runner):
    runner.expect(["nvme", "version"], out="nvme version 2.8 (git 2.8)\nlibnvme version 1.8 (git 1.8)\n")
    assert make("nvme").check_support() == "2.8"


def test_check_support_loads_a_missing_module_with_modprobe(make, host, runner):
    host.remove("/sys/module/iscsi_tcp")
    runner.expect(["modprobe", "-b", "iscsi_tcp"]).expect(["iscsiadm", "--version"], out="iscsiadm version 2.1.9\n")
    assert make("iscsi").check_support() == "2.1.9"


@pytest.mark.parametrize("mode, tool, package", [
    ("nvme", "nvme", "nvme-cli"),
    ("iscsi", "iscsiadm", "open-iscsi"),
    ("iscsi", "multipath", "multipath-tools"),
])
def test_check_support_names_the_package_of_a_missing_tool(make, host, mode, tool, package):
    host.remove("/usr/sbin/" + tool)
    message = failure(make(mode).check_support)
    assert "%s is not installed" % tool in message and "install %s" % package in message
    assert "the role alletra.storage.alletra_initiator installs it" in message


@pytest.mark.parametrize("mode, removed, loading, wanted, unwanted", [
    pytest.param("nvme", ["/usr/sbin/nvme", "/sys/module/nvme_tcp"], [],
                 ["install nvme-cli", "kernel module nvme_tcp is not loaded"], [], id="every-problem-at-once"),
    pytest.param("nvme", ["/sys/module/nvme_fabrics", "/sys/module/nvme_tcp"], ["nvme_fabrics"],
                 ["`modprobe -b nvme_tcp` exited 1: modprobe: FATAL: Module nvme_tcp not found", "linux-modules-extra",
                  "alletra.storage.alletra_initiator loads it"], ["cannot load modules", "nvme_fabrics"], id="module-not-installed"),
    pytest.param("iscsi", ["/proc/modules", "/sys/module/iscsi_tcp"], [],
                 ["the kernel cannot load modules (no /proc/modules)", "CONFIG_ISCSI_TCP=y", "installing packages does not help"],
                 ["modules-extra"], id="kernel-without-module-support"),
])
def test_check_support_names_what_is_missing(make, host, runner, mode, removed, loading, wanted, unwanted):
    """Modules in ``removed`` are not loaded: those in ``loading`` load, the others fail to."""
    for path in removed:
        host.remove(path)
        module = path[len("/sys/module/"):] if path.startswith("/sys/module/") else None
        if module:
            runner.expect(["modprobe", "-b", module], rc=0 if module in loading else 1,
                          err="" if module in loading else MODPROBE_NOT_FOUND % module)
    message = failure(make(mode).check_support)
    assert [text for text in wanted if text not in message] == []
    assert [text for text in unwanted if text in message] == []


def test_check_support_accepts_a_built_in_module_on_a_kernel_without_modules(make, host, runner):
    host.remove("/proc/modules")
    host.remove("/sys/module/nvme_fabrics")
    runner.expect(["modprobe", "-b", "nvme_fabrics"]).expect(["nvme", "version"], out="nvme version 1.16\n")
    assert make("nvme").check_support() == "1.16"


def test_check_support_tool_that_fails_to_run(make, runner):
    runner.expect(["nvme", "version"], rc=127, err="nvme: error while loading shared libraries: libnvme.so.1\n")
    assert "exited 127: nvme: error while loading shared libraries: libnvme.so.1; reinstall nvme-cli" in failure(make("nvme").check_support)


def test_check_support_without_modprobe_names_kmod(make, host):
    host.remove("/usr/sbin/modprobe")
    host.remove("/sys/module/nvme_tcp")
    message = failure(make("nvme").check_support)
    assert "modprobe is not installed" in message and "install kmod" in message


# --- initiator ---------------------------------------------------------------------------------


def test_initiator_reads_the_host_files(make):
    assert make("nvme").initiator() == HOST_NQN
    assert make("iscsi").initiator() == HOST_IQN


@pytest.mark.parametrize("mode, path", [("nvme", "/etc/nvme/hostnqn"), ("iscsi", "/etc/iscsi/initiatorname.iscsi")])
def test_initiator_file_missing_says_how_to_get_one(make, host, mode, path):
    host.remove(path)
    message = failure(make(mode).initiator)
    assert "%s is missing" % path in message and "alletra.storage.alletra_initiator" in message


def test_initiator_refuses_a_file_without_a_name(make, host):
    host.write("/etc/iscsi/initiatorname.iscsi", "## InitiatorName=iqn.commented.out\n")
    assert "has no InitiatorName= line" in failure(make("iscsi").initiator)
    host.write("/etc/nvme/hostnqn", "host01\n")
    assert "which is not an NQN" in failure(make("nvme").initiator)


# --- discover ----------------------------------------------------------------------------------


def nvme_discover(address):
    return ["nvme", "discover", "--transport", "tcp", "--traddr", address, "--trsvcid", "8009",
            "--hostnqn", HOST_NQN, "--output-format", "json"]


def discovery_log(*records):
    base = {"trtype": "tcp", "adrfam": "ipv4", "subtype": "nvme subsystem", "treq": "not required", "subnqn": ARRAY_NQN}
    return json.dumps({"genctr": 3, "records": [dict(base, **record) for record in records]})


def test_nvme_discover_keeps_tcp_subsystems_and_skips_an_empty_log(make, runner):
    runner.expect(nvme_discover("10.0.0.1"), out="No discovery log entries to fetch.\n")
    runner.expect(nvme_discover("10.0.0.2"), out=discovery_log(
        {"subtype": "discovery subsystem", "subnqn": "nqn.2014-08.org.nvmexpress.discovery", "traddr": "10.0.0.2", "trsvcid": "8009"},
        {"trtype": "rdma", "traddr": "10.0.0.2", "trsvcid": "4420"},
        {"traddr": "10.0.0.3", "trsvcid": "4420"},
        {"traddr": "10.0.0.2", "trsvcid": ""},
    ))
    assert make("nvme").discover(["10.0.0.1", "10.0.0.2"], HOST_NQN) == [target("10.0.0.2", ARRAY_NQN, 4420)]


def test_nvme_discover_passes_the_host_id_and_uses_the_first_subsystem_elsewhere(make, host, runner):
    host.write("/etc/nvme/hostid", HOST_ID.upper() + "\n")
    args = nvme_discover("10.0.0.9")
    runner.expect(args[:-2] + ["--hostid", HOST_ID] + args[-2:], out=discovery_log({"traddr": "10.0.0.3", "trsvcid": "4421"}))
    assert make("nvme").discover(["10.0.0.9"], HOST_NQN) == [target("10.0.0.9", ARRAY_NQN, 4420)]


def test_nvme_host_id_must_be_a_uuid(make, host):
    host.write("/etc/nvme/hostid", "host01\n")
    assert "/etc/nvme/hostid holds 'host01', which is not a UUID" in failure(make("nvme").discover, ["10.0.0.1"], HOST_NQN)


def test_nvme_discover_finding_nothing_names_each_address(make, runner):
    runner.expect(nvme_discover("10.0.0.1"), rc=1, err="failed to add controller, error connecting to 10.0.0.1\n")
    runner.expect(nvme_discover("10.0.0.2"), out="No discovery log entries to fetch.\n")
    message = failure(make("nvme").discover, ["10.0.0.1", "10.0.0.2"], HOST_NQN)
    assert "10.0.0.1: `nvme discover" in message and "exited 1: failed to add controller" in message
    assert "10.0.0.2: No discovery log entries to fetch." in message and HOST_NQN in message


def test_iscsi_discover_keeps_only_the_queried_portal(make, runner):
    args = ["iscsiadm", "--mode", "discovery", "--type", "sendtargets", "--portal", "10.0.0.1:3260", "--op", "nonpersistent"]
    runner.expect(args, out="10.0.0.2:3260,22 %s\n10.0.0.1:3260,21 %s\n" % (OTHER_IQN, ARRAY_IQN))
    runner.expect(args[:6] + ["[fd00::5]:3260"] + args[7:], rc=4, err="iscsiadm: cannot make connection to fd00::5: No route to host\n")
    assert make("iscsi").discover(["10.0.0.1", "fd00::5"], HOST_IQN) == [target("10.0.0.1", ARRAY_IQN, 3260)]


def test_iscsi_discover_finding_nothing_names_each_address(make, runner):
    args = ["iscsiadm", "--mode", "discovery", "--type", "sendtargets", "--portal", "10.0.0.1:3260", "--op", "nonpersistent"]
    runner.expect(args, out="10.0.0.2:3260,22 %s\n" % OTHER_IQN)
    message = failure(make("iscsi").discover, ["10.0.0.1"], HOST_IQN)
    assert "10.0.0.1: the array lists no target at 10.0.0.1:3260" in message


# --- connect -----------------------------------------------------------------------------------


def test_connect_skips_addresses_already_connected(make, host, runner):
    host.nvme_session(ARRAY_NQN, ["10.0.0.1"])
    runner.expect(nvme_connect("10.0.0.2"))
    targets = [target("10.0.0.1", ARRAY_NQN, 4420), target("10.0.0.2", ARRAY_NQN, 4420)]
    assert make("nvme").connect(targets, HOST_NQN) == {"connected": [targets[1]], "failed": []}


def test_connect_iscsi_rescans_a_session_and_takes_exit_15_as_logged_in(make, host, runner):
    host.iscsi_session(7, ARRAY_IQN, "10.0.0.1")
    runner.expect(["iscsiadm", "--mode", "session", "--sid", "7", "--rescan"])
    added = "New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if=default] 10.0.0.2,3260,-1 %s] added\n" % OTHER_IQN
    runner.expect(iscsi_node(OTHER_IQN, "10.0.0.2", "--op", "new"), out=added)
    runner.expect(iscsi_node(OTHER_IQN, "10.0.0.2", "--login"), rc=15, err="iscsiadm: default: 1 session requested, but 1 already present.\n")
    targets = [target("10.0.0.1", ARRAY_IQN, 3260), target("10.0.0.2", OTHER_IQN, 3260)]
    assert make("iscsi").connect(targets, HOST_IQN) == {"connected": [targets[1]], "failed": []}


def test_connect_one_address_is_enough(make, runner):
    runner.expect(nvme_connect("10.0.0.1"), rc=1, err="could not add new controller: failed to write to nvme-fabrics device\n")
    runner.expect(nvme_connect("10.0.0.2"))
    targets = [target("10.0.0.1", ARRAY_NQN, 4420), target("10.0.0.2", ARRAY_NQN, 4420)]
    result = make("nvme").connect(targets, HOST_NQN)
    assert result["connected"] == [targets[1]]
    assert [item["address"] for item in result["failed"]] == ["10.0.0.1"]
    assert "failed to write to nvme-fabrics device" in result["failed"][0]["error"]


def test_connect_all_failing_names_each_address_and_removes_the_node_records(make, runner):
    runner.expect(iscsi_node(ARRAY_IQN, "10.0.0.1", "--op", "new"))
    runner.expect(iscsi_node(ARRAY_IQN, "10.0.0.1", "--login"), rc=8, err="iscsiadm: Could not login to [iface: default, target: x, portal: 10.0.0.1,3260].\n")
    runner.expect(iscsi_node(OTHER_IQN, "10.0.0.2", "--op", "new"), rc=6, err="iscsiadm: Could not open /etc/iscsi/nodes: Permission denied\n")
    runner.expect(["iscsiadm", "--mode", "node", "--targetname", ARRAY_IQN, "--op", "delete"])
    runner.expect(["iscsiadm", "--mode", "node", "--targetname", OTHER_IQN, "--op", "delete"], rc=21, err="iscsiadm: No records found\n")
    targets = [target("10.0.0.1", ARRAY_IQN, 3260), target("10.0.0.2", OTHER_IQN, 3260)]
    message = failure(make("iscsi").connect, targets, HOST_IQN)
    assert "every address failed" in message and "initiator %s" % HOST_IQN in message
    assert "10.0.0.1:3260 (%s): `iscsiadm" % ARRAY_IQN in message and "exited 8: iscsiadm: Could not login" in message
    assert "10.0.0.2:3260 (%s): `iscsiadm" % OTHER_IQN in message and "exited 6" in message
    assert "Removing the node records failed" not in message


def test_connect_tries_no_address_after_the_deadline(make, runner, clock):
    def slow():
        clock.now += connector.DEFAULT_TIMEOUT + 1

    runner.expect(nvme_connect("10.0.0.1"), rc=1, err="Connection timed out\n", effect=slow)
    message = failure(make("nvme").connect, [target("10.0.0.1", ARRAY_NQN, 4420), target("10.0.0.2", ARRAY_NQN, 4420)], HOST_NQN)
    assert "10.0.0.2:4420 (%s): not tried: the 30 s limit was reached" % ARRAY_NQN in message


# --- disconnect --------------------------------------------------------------------------------


def test_nvme_disconnect_asks_nvme_cli_even_without_a_session_in_sys(make, host, runner):
    runner.expect(["nvme", "disconnect", "--nqn", ARRAY_NQN], out="NQN:%s disconnected 0 controller(s)\n" % ARRAY_NQN)
    assert make("nvme").disconnect(ARRAY_NQN) is False
    host.nvme_session(ARRAY_NQN, ["10.0.0.1"])
    runner.expect(["nvme", "disconnect", "--nqn", ARRAY_NQN], out="NQN:%s disconnected 1 controller(s)\n" % ARRAY_NQN)
    assert make("nvme").disconnect(ARRAY_NQN) is True


def test_nvme_disconnect_failure_is_an_error(make, host, runner):
    host.nvme_session(ARRAY_NQN, ["10.0.0.1"])
    runner.expect(["nvme", "disconnect", "--nqn", ARRAY_NQN], rc=1, err="Device or resource busy\n")
    assert "exited 1: Device or resource busy" in failure(make("nvme").disconnect, ARRAY_NQN)


def test_iscsi_disconnect_takes_exit_21_as_not_logged_in(make, runner):
    node = ["iscsiadm", "--mode", "node", "--targetname", ARRAY_IQN]
    runner.expect(node + ["--logout"], rc=21, err="iscsiadm: No matching sessions found\n")
    runner.expect(node + ["--op", "delete"])
    assert make("iscsi").disconnect(ARRAY_IQN) is False


def test_iscsi_disconnect_logs_out_of_a_session(make, host, runner):
    host.iscsi_session(3, ARRAY_IQN, "10.0.0.1")
    node = ["iscsiadm", "--mode", "node", "--targetname", ARRAY_IQN]
    runner.expect(node + ["--logout"]).expect(node + ["--op", "delete"], rc=5, err="iscsiadm: Could not remove record\n")
    assert "exited 5: iscsiadm: Could not remove record" in failure(make("iscsi").disconnect, ARRAY_IQN)


# --- find_device -------------------------------------------------------------------------------


def test_find_device_finds_the_nvme_namespace_at_once(make, host, clock):
    host.block("nvme0n1", "259:0")
    host.by_id("nvme-eui." + NGUID.lower(), "nvme0n1")
    expected = {"device": "/dev/nvme0n1", "by_id": "/dev/disk/by-id/nvme-eui." + NGUID.lower()}
    assert make("nvme").find_device(nguid=NGUID) == expected
    assert make("nvme").find_device(nguid=NGUID, wait=False) == expected
    assert clock.slept == []


def test_find_device_waits_for_the_link(make, host, clock):
    host.block("nvme0n1", "259:0")

    def udev():
        if len(clock.slept) == 3:
            host.by_id("nvme-eui." + NGUID.lower(), "nvme0n1")

    clock.on_sleep.append(udev)
    assert make("nvme").find_device(nguid=NGUID)["device"] == "/dev/nvme0n1"
    assert clock.slept == [connector.POLL_INTERVAL] * 3


def test_find_device_gives_up_after_the_timeout(make, clock):
    start = clock.now
    message = failure(make("nvme").find_device, nguid=NGUID)
    assert "NGUID %s" % NGUID.lower() in message and "within 30 s" in message
    assert clock.now - start == connector.DEFAULT_TIMEOUT


def test_find_device_skips_partitions_and_dangling_links(make, host):
    host.block("nvme0n1p1", "259:1")
    host.by_id("nvme-eui.%s-part1" % NGUID.lower(), "nvme0n1p1")
    host.by_id("nvme-eui." + NGUID.lower(), "nvme0n1")
    assert make("nvme").find_device(nguid=NGUID, wait=False) is None
    host.block("nvme0n1", "259:0")
    assert make("nvme").find_device(nguid=NGUID, wait=False)["device"] == "/dev/nvme0n1"


def test_find_device_needs_the_protocol_key(make):
    assert "needs its NGUID" in failure(make("nvme").find_device, wwn=WWN)
    assert "needs its WWN" in failure(make("iscsi").find_device, nguid=NGUID)


def test_find_device_iscsi_waits_for_the_ready_multipath_map(make, host, runner, clock):
    host.block("sdb", "8:16")
    host.block("dm-3", "253:3")
    host.by_id("scsi-3" + WWN.lower(), "sdb")
    runner.expect(["multipath", "-c", "/dev/sdb"], out="/dev/sdb is a valid multipath device path\n")
    runner.expect(["multipath", "/dev/sdb"], effect=lambda: host.by_id("scsi-3" + WWN.lower(), "dm-3"))
    runner.expect(["multipath", "-ll", "/dev/dm-3"], out=MULTIPATH_LL_WAITING)
    runner.expect(["multipath", "-ll", "/dev/dm-3"], out=MULTIPATH_LL_READY)
    assert make("iscsi").find_device(wwn=WWN) == {"device": "/dev/dm-3", "by_id": "/dev/disk/by-id/scsi-3" + WWN.lower()}
    assert clock.slept == [connector.POLL_INTERVAL]


def test_find_device_iscsi_by_wwn_link_and_map_that_never_forms(make, host, runner):
    host.block("sdc", "8:32")
    host.by_id("wwn-0x" + WWN.lower(), "sdc")
    assert make("iscsi").find_device(wwn="0x" + WWN, wait=False) == {"device": "/dev/sdc", "by_id": "/dev/disk/by-id/wwn-0x" + WWN.lower()}
    runner.expect(["multipath", "-c", "/dev/sdc"], out="/dev/sdc is a valid multipath device path\n")
    runner.expect(["multipath", "/dev/sdc"], rc=1, err="sdc: wwid blacklisted\n")
    message = failure(make("iscsi").find_device, wwn=WWN)
    assert "/dev/sdc (the volume with WWN %s) did not become a multipath device" % WWN.lower() in message
    assert "exited 1: sdc: wwid blacklisted" in message


def test_find_device_iscsi_without_multipath_is_the_plain_disk(make, host, runner):
    host.block("sdd", "8:48")
    host.by_id("scsi-3" + WWN.lower(), "sdd")
    runner.expect(["multipath", "-c", "/dev/sdd"], rc=1, out="/dev/sdd is not a valid multipath device path\n")
    assert make("iscsi").find_device(wwn=WWN) == {"device": "/dev/sdd", "by_id": "/dev/disk/by-id/scsi-3" + WWN.lower()}


def test_find_device_iscsi_map_never_ready(host, runner, clock):
    host.block("dm-3", "253:3")
    host.by_id("scsi-3" + WWN.lower(), "dm-3")
    polls = int(2 / connector.POLL_INTERVAL) + 1
    for dummy in range(polls):
        runner.expect(["multipath", "-ll", "/dev/dm-3"], out=MULTIPATH_LL_WAITING)
    made = connector.new_connector("iscsi", runner, timeout=2, root=host.root, clock=clock, sleep=clock.sleep)
    assert "multipath map /dev/dm-3 (the volume with WWN %s) has no path 'active ready running' within 2 s" % WWN.lower() in failure(
        made.find_device, wwn=WWN)


# --- users -------------------------------------------------------------------------------------


def test_users_of_a_free_device(make, host):
    host.block("nvme0n1", "259:0")
    assert make("nvme").users("/dev/nvme0n1") == []


def test_users_finds_mounts_of_the_device_and_its_partitions(make, host):
    host.block("sdb", "8:16")
    host.block("sdb1", "8:17")
    host.write("/sys/class/block/sdb/sdb1/partition", "1\n")
    host.mount("8:16", "/dev/sdb", "/srv/whole")
    host.mount("8:17", "/dev/sdb1", "/mnt/my\\040data")
    assert make("iscsi").users("/dev/sdb") == ["/dev/sdb is mounted at /srv/whole", "/dev/sdb1 is mounted at /mnt/my data"]


def test_users_matches_a_mount_by_its_source_path(make, host):
    host.block("dm-3", "253:3")
    host.mkdir("/dev/mapper")
    os.symlink("../dm-3", host.path("/dev/mapper/mpatha"))
    host.mount("0:52", "/dev/mapper/mpatha", "/var/lib/data")
    assert make("iscsi").users("/dev/disk/../dm-3") == ["/dev/dm-3 is mounted at /var/lib/data"]


def test_users_finds_holders(make, host):
    host.block("dm-3", "253:3")
    host.block("dm-4", "253:4")
    host.mkdir("/sys/class/block/dm-3/holders/dm-4")
    host.write("/sys/class/block/dm-4/dm/name", "vg0-data\n")
    assert make("iscsi").users("/dev/dm-3") == ["/dev/dm-3 is held by /dev/dm-4 (vg0-data)"]


# --- remove_device -----------------------------------------------------------------------------


def test_remove_device_nvme_leaves_it_to_the_kernel(make, host):
    host.block("nvme0n1", "259:0")
    assert make("nvme").remove_device("/dev/nvme0n1") is False
    assert os.path.exists(host.path("/dev/nvme0n1"))


def kernel_deletes(host, clock, names):
    """The kernel removing each SCSI disk whose device/delete got a 1; returns what it removed."""
    removed = []

    def kernel():
        for name in names:
            delete = "/sys/block/%s/device/delete" % name
            if os.path.exists(host.path(delete)) and host.read(delete) == "1":
                host.remove("/sys/block/" + name)
                removed.append(name)

    clock.on_sleep.append(kernel)
    return removed


def test_remove_device_iscsi_flushes_the_map_with_retries_then_deletes_every_path(make, host, runner, clock):
    host.block("dm-3", "253:3")
    host.write("/sys/class/block/dm-3/dm/uuid", "mpath-3%s\n" % WWN.lower())
    for name in ("sdb", "sdc"):
        host.block(name, "8:0", wwid="naa." + WWN.lower())
        host.mkdir("/sys/class/block/dm-3/slaves/" + name)
    host.block("sdd", "8:48", wwid="naa." + WWN.lower())
    host.block("sde", "8:64", wwid="naa.60002ac0000000000000000000000001")
    removed = kernel_deletes(host, clock, ["sdb", "sdc", "sdd", "sde"])
    runner.expect(["multipath", "-f", "/dev/dm-3"], rc=1, err="mpatha: map in use\n")
    runner.expect(["multipath", "-f", "/dev/dm-3"], rc=1, err="mpatha: map in use\n")
    runner.expect(["multipath", "-f", "/dev/dm-3"])
    assert make("iscsi").remove_device("/dev/dm-3") is True
    assert sorted(removed) == ["sdb", "sdc", "sdd"]
    assert os.path.exists(host.path("/sys/block/sde"))


def test_remove_device_iscsi_flush_gives_up(make, host, runner, clock):
    host.block("dm-3", "253:3")
    for dummy in range(connector.FLUSH_ATTEMPTS):
        runner.expect(["multipath", "-f", "/dev/dm-3"], rc=1, err="mpatha: map in use\n")
    message = failure(make("iscsi").remove_device, "/dev/dm-3")
    assert "exited 1: mpatha: map in use, still after 10 attempts" in message
    assert clock.slept == [connector.POLL_INTERVAL] * (connector.FLUSH_ATTEMPTS - 1)


def test_remove_device_iscsi_plain_disk_waits_until_it_is_gone(make, host, clock):
    host.block("sdf", "8:80")
    assert "sdf: still there 30 s after being deleted" in failure(make("iscsi").remove_device, "/dev/sdf")
    assert host.read("/sys/block/sdf/device/delete") == "1"
    kernel_deletes(host, clock, ["sdf"])
    assert make("iscsi").remove_device("/dev/sdf") is True


# --- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("one, other, same", [
    ("naa.60002ac000000000000000160001afb6", "mpath-360002ac000000000000000160001afb6", True),
    ("0x60002AC000000000000000160001AFB6", "scsi-360002ac000000000000000160001afb6", True),
    ("eui.0025385b71b07b5e", "eui.0025385b71b07b5e", True),
    ("naa.60002ac000000000000000160001afb6", "naa.60002ac000000000000000160001afb7", False),
    ("", "", False),
])
def test_same_wwid(one, other, same):
    assert connector.same_wwid(one, other) is same


def test_remove_device_iscsi_leaves_a_device_that_is_not_a_scsi_disk(make, host):
    host.block("loop3", "7:3")
    assert make("iscsi").remove_device("/dev/loop3") is True
