# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host side of an attach: NVMe/TCP and iSCSI sessions, and the block device of a volume.

It runs the commands LXD's Alletra driver runs (shared/spec/lxd-alletra-driver.md sections 5 to 7)
with LXD's known faults left out: every wait is bounded, and each failure is one ConnectorError
that says what failed and how to fix it.

Built to be driven by tests: every command goes through ``run_command(args)`` with
AnsibleModule.run_command's contract (``(rc, stdout, stderr)``, no exception on rc != 0), every
file is read below ``root``, and waits use the ``clock`` and ``sleep`` given. A command itself is
not interrupted (run_command cannot); the tools' own timeouts bound it, and the deadline is
checked between commands.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import os
import re
import time
import uuid

DEFAULT_TIMEOUT = 30
# How often a wait looks again, in seconds (LXD's 500 ms).
POLL_INTERVAL = 0.5
# `multipath -f` fails while udev or multipathd still holds the map for a moment: LXD's 10 tries.
FLUSH_ATTEMPTS = 10
# Linux's own limit on symbolic links followed in one lookup.
MAX_SYMLINK_HOPS = 40

MODE_NVME = "nvme"
MODE_NVME_TCP = "nvme/tcp"
MODE_ISCSI = "iscsi"

NVME_DISCOVERY_PORT = 8009
NVME_PORT = 4420
ISCSI_PORT = 3260
# iscsiadm exit codes (iscsiadm(8) "EXIT STATUS").
ISCSI_ERR_SESS_EXISTS = 15
ISCSI_ERR_NO_OBJS_FOUND = 21
NVME_NO_DISCOVERY_ENTRIES = "No discovery log entries to fetch."
NVME_SUBSYSTEM_RECORD = "nvme subsystem"
NVME_TRANSPORT = "tcp"
MULTIPATH_READY = "active ready running"
# `multipath -c <dev>`: 0 when the device is (to be) a path of a multipath map, 1 when it is not.
MULTIPATH_NOT_A_PATH = 1
# `nvme disconnect` says how many controllers it closed.
NVME_DISCONNECTED = re.compile(r"disconnected (\d+) controller")

# Files and folders, as seen from ``root``.
SYS_MODULE = "/sys/module"
PROC_MODULES = "/proc/modules"
MOUNTINFO = "/proc/self/mountinfo"
NVME_HOSTNQN_FILE = "/etc/nvme/hostnqn"
NVME_HOSTID_FILE = "/etc/nvme/hostid"
ISCSI_INITIATOR_FILE = "/etc/iscsi/initiatorname.iscsi"
ISCSI_INITIATOR_KEY = "InitiatorName="
BY_ID = "/dev/disk/by-id"
DEV = "/dev"
SYS_CLASS_BLOCK = "/sys/class/block"
SYS_BLOCK = "/sys/block"
NVME_SUBSYSTEMS = "/sys/class/nvme-subsystem"
NVME_CONTROLLERS = "/sys/class/nvme"
ISCSI_SESSIONS = "/sys/class/iscsi_session"
ISCSI_CONNECTIONS = "/sys/class/iscsi_connection"

# by-id names that are a partition of a disk, not the disk.
PARTITION_MARK = "-part"
NVME_BY_ID_PREFIX = "nvme-eui."
SCSI_BY_ID_PREFIX = "scsi-"
WWN_BY_ID_PREFIX = "wwn-0x"
DM_PREFIX = "dm-"
# What names a volume's device, by protocol: its NVMe NGUID or its SCSI WWN.
KEY_NGUID = "NGUID"
KEY_WWN = "WWN"
SCSI_DISK_PREFIX = "sd"
NVME_CONTROLLER_NAME = re.compile(r"^nvme\d+$")
ISCSI_SESSION_NAME = re.compile(r"^session(\d+)$")
# How a WWID is written in sysfs (device/wwid, dm/uuid) and by-id names, around the same digits.
WWID_PREFIXES = ("mpath-", "0x", "scsi-", "naa.", "eui.")
# A SCSI WWID of NAA designator type 3 is written with that leading digit in some places only.
NAA_TYPE_DIGIT = "3"
MOUNTINFO_ESCAPE = re.compile(r"\\([0-7]{3})")
# `nvme version` prints "nvme version 2.8 (git 2.8)" and more lines; `iscsiadm --version` "iscsiadm version 2.1.9".
VERSION_PATTERN = re.compile(r"\bversion\s+(\S+)")

ROLE = "alletra.storage.alletra_initiator"
# The package that brings each tool, and whether the role installs it.
TOOL_PACKAGES = {
    "nvme": ("nvme-cli", True),
    "iscsiadm": ("open-iscsi (iscsi-initiator-utils on RHEL-family systems)", True),
    "multipath": ("multipath-tools (device-mapper-multipath on RHEL-family systems)", True),
    "modprobe": ("kmod", False),
}
# The kernel option that builds each module in, for kernels that cannot load modules.
KERNEL_OPTIONS = {"nvme_fabrics": "CONFIG_NVME_FABRICS", "nvme_tcp": "CONFIG_NVME_TCP", "iscsi_tcp": "CONFIG_ISCSI_TCP"}
MODULES_PACKAGE = "linux-modules-extra-$(uname -r) on Ubuntu, kernel-modules-extra on RHEL-family systems"


class ConnectorError(Exception):
    """A host-side step that failed; the message names what failed and how to fix it."""

    def __init__(self, msg):
        super(ConnectorError, self).__init__(msg)
        self.msg = msg


def command_failure(args, rc, out, err):
    """How a failed command reads in a message: the command line, its exit code and what it said."""
    said = (err or "").strip() or (out or "").strip() or "no output"
    return "`%s` exited %s: %s" % (" ".join(args), rc, said)


def portal(address, port):
    """``<ip>:<port>`` as iscsiadm writes and takes it (an IPv6 address in brackets)."""
    return ("[%s]:%s" if ":" in address else "%s:%s") % (address, port)


def bare_wwid(text):
    """A WWID without the prefixes sysfs and udev put before it, lower case, for comparing."""
    text = (text or "").strip().lower()
    for prefix in WWID_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text


def same_wwid(one, other):
    """True when two WWIDs name the same volume, with or without the NAA type digit."""
    one, other = bare_wwid(one), bare_wwid(other)
    return bool(one) and (one == other or NAA_TYPE_DIGIT + one == other or one == NAA_TYPE_DIGIT + other)


def missing_tool(tool):
    """The message for a tool that is not on PATH: the package, and the role when it installs it."""
    package, by_role = TOOL_PACKAGES.get(tool, (tool, False))
    hint = "install %s" % package
    if by_role:
        hint += " (the role %s installs it)" % ROLE
    return "%s is not installed (not found in PATH %s): %s" % (tool, os.environ.get("PATH", os.defpath), hint)


def parse_address(text):
    """The fields of an NVMe controller's sysfs ``address`` ("traddr=10.0.0.1,trsvcid=4420,...")."""
    fields = {}
    for item in (text or "").split(","):
        name, dummy, value = item.partition("=")
        fields[name.strip()] = value.strip()
    return fields


def unescape_mountinfo(text):
    """A mountinfo field with its octal escapes (``\\040`` for a space) decoded."""
    return MOUNTINFO_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), text)


def parse_mountinfo(text):
    """(major:minor, source, mount point) of each line of /proc/self/mountinfo (proc(5))."""
    mounts = []
    for line in (text or "").splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        separator = fields.index("-")
        source = fields[separator + 2] if len(fields) > separator + 2 else ""
        mounts.append((fields[2], unescape_mountinfo(source), unescape_mountinfo(fields[4])))
    return mounts


class Connector(object):
    """What NVMe and iSCSI share: files below ``root``, commands, bounded waits, device users.

    Each protocol adds the public ``initiator()``, ``disconnect(qualified_name)`` and
    ``remove_device(device)``, and what the shared steps call: ``_discover_at(address, initiator)``
    (targets, problem), ``_sessions(qualified_name)`` (address -> session), ``_login(target,
    initiator)`` (error text or None) and ``_by_id_names(key)`` (most preferred first).
    """

    PROTOCOL = None
    MODULES = ()
    TOOLS = ()
    VERSION_COMMAND = ()
    # What identifies a volume's device: the NGUID (NVMe) or the WWN (SCSI).
    KEY_NAME = None

    def __init__(self, run_command, timeout=DEFAULT_TIMEOUT, root="/", clock=time.monotonic, sleep=time.sleep):
        self.run_command = run_command
        self.timeout = timeout
        self.root = root
        self._clock = clock
        self._sleep = sleep

    # -- files below root ---------------------------------------------------------------------
    def _path(self, *parts):
        return os.path.join(self.root, *[part.lstrip("/") for part in parts])

    def _exists(self, *parts):
        return os.path.lexists(self._path(*parts))

    def _read(self, *parts):
        """The stripped text of a file, or None when it is missing or unreadable."""
        try:
            with io.open(self._path(*parts), encoding="utf-8", errors="replace") as handle:
                return handle.read().strip()
        except (IOError, OSError):
            return None

    def _list(self, *parts):
        """The sorted names in a folder; none when it is missing."""
        try:
            return sorted(os.listdir(self._path(*parts)))
        except (IOError, OSError):
            return []

    def _resolve(self, path):
        """``path`` (as seen from root) with its symbolic links followed inside root."""
        path = os.path.normpath(path)
        for dummy in range(MAX_SYMLINK_HOPS):
            full = self._path(path)
            if not os.path.islink(full):
                return path
            path = os.path.normpath(os.path.join(os.path.dirname(path), os.readlink(full)))
        raise ConnectorError("%s: more than %d symbolic links in a row" % (path, MAX_SYMLINK_HOPS))

    def _which(self, tool):
        """True when ``tool`` is an executable in one of PATH's folders (below root)."""
        for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
            candidate = self._path(folder or ".", tool)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return True
        return False

    # -- commands and waits -------------------------------------------------------------------
    def _run(self, args):
        """(rc, stdout, stderr) of a command; a tool that is not installed is an error, not a
        crash: AnsibleModule.run_command would fail the whole module with a bare errno."""
        if not self._which(args[0]):
            raise ConnectorError(missing_tool(args[0]))
        rc, out, err = self.run_command(args)
        return rc, out or "", err or ""

    def _try(self, args, accepted=(0,)):
        """Run a command; None when its exit code is in ``accepted``, else what it said (for messages)."""
        rc, out, err = self._run(args)
        return None if rc in accepted else command_failure(args, rc, out, err)

    def _run_or_fail(self, args, fix, accepted=(0,)):
        """Run a command whose failure ends the step: ConnectorError naming it, and ``fix``."""
        error = self._try(args, accepted)
        if error:
            raise ConnectorError("%s: %s" % (error, fix))

    def _deadline(self):
        return self._clock() + self.timeout

    def _wait_for(self, deadline, probe, failure):
        """``probe()``'s first true answer, polled until ``deadline``; then ConnectorError(failure())."""
        while True:
            answer = probe()
            if answer:
                return answer
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise ConnectorError(failure())
            self._sleep(min(POLL_INTERVAL, remaining))

    # -- support ------------------------------------------------------------------------------
    def check_support(self):
        """The tool's version when this host can attach volumes; else one error naming every
        missing tool and kernel module, so one run of the role fixes them all."""
        problems = [missing_tool(tool) for tool in self.TOOLS if not self._which(tool)]
        problems.extend(problem for problem in (self._module_problem(name) for name in self.MODULES) if problem)
        if not problems:
            rc, out, err = self._run(list(self.VERSION_COMMAND))
            if rc == 0:
                version = VERSION_PATTERN.search(out)
                return version.group(1) if version else out.strip()
            problems.append("%s; reinstall %s" % (command_failure(self.VERSION_COMMAND, rc, out, err),
                                                  TOOL_PACKAGES[self.VERSION_COMMAND[0]][0]))
        raise ConnectorError("this host cannot attach %s volumes: %s" % (self.PROTOCOL, "; ".join(problems)))

    def _module_problem(self, name):
        """None when kernel module ``name`` is loaded, built in or loads (LXD: /sys/module/<m>,
        else `modprobe -b`); else what is wrong: a module that is not installed, or a kernel that
        cannot load modules at all (no /proc/modules), which no package fixes."""
        if self._exists(SYS_MODULE, name):
            return None
        can_load = self._exists(PROC_MODULES)
        if not self._which("modprobe"):
            return missing_tool("modprobe") if can_load else self._no_module_support(name)
        args = ["modprobe", "-b", name]
        rc, out, err = self._run(args)
        if rc == 0:
            return None
        if not can_load:
            return self._no_module_support(name)
        return ("kernel module %s is not loaded and %s: install the kernel's extra modules (%s), or in a "
                "container load it on the host; the role %s loads it and keeps it loaded across reboots"
                % (name, command_failure(args, rc, out, err), MODULES_PACKAGE, ROLE))

    @staticmethod
    def _no_module_support(name):
        return ("kernel module %s is not built into this kernel, and the kernel cannot load modules (no %s): "
                "boot a kernel built with %s=y or with module support; installing packages does not help"
                % (name, PROC_MODULES, KERNEL_OPTIONS.get(name, name)))

    def _initiator_text(self, path, fix):
        text = self._read(path)
        if text is None:
            raise ConnectorError("%s is missing or unreadable, so this host has no %s initiator name: %s"
                                 % (path, self.PROTOCOL, fix))
        return text

    # -- discover and connect -----------------------------------------------------------------
    def discover(self, addresses, initiator):
        """The targets (``{address, port, qualified_name}``) the array offers at each address, one
        discovery command each while the deadline allows. An address that does not answer or lists
        nothing is skipped; none answering is an error naming each address and why."""
        deadline = self._deadline()
        targets, problems = [], []
        for address in addresses:
            if self._clock() >= deadline:
                found, problem = [], "not tried, the %s s limit was reached" % self.timeout
            else:
                found, problem = self._discover_at(address, initiator)
            targets.extend(target for target in found if target not in targets)
            if problem:
                problems.append("%s: %s" % (address, problem))
        if not targets:
            raise ConnectorError("%s discovery found no target: %s. Check that the addresses are %s ports of the array "
                                 "and that it exports a volume to initiator %s"
                                 % (self.PROTOCOL, "; ".join(problems) or "no address given", self.PROTOCOL, initiator))
        return targets

    def connect(self, targets, initiator):
        """Sessions to ``targets`` (``{address, port, qualified_name}``): addresses already in a
        session are not logged in again, each other one is tried once before the deadline. One
        address reached is enough (the others are multipath extras); when none is, the error
        names each address and why.

        Returns ``{"connected": [targets logged in now], "failed": [target + "error"]}``.
        """
        deadline = self._deadline()
        sessions = {}
        connected, failed, reached = [], [], False
        for target in targets:
            name = target["qualified_name"]
            if name not in sessions:
                sessions[name] = self._sessions(name)
            if target["address"] in sessions[name]:
                reached = True
                error = self._refresh(sessions[name][target["address"]])
            elif self._clock() >= deadline:
                error = "not tried: the %s s limit was reached" % self.timeout
            else:
                error = self._login(target, initiator)
                if error is None:
                    connected.append(target)
                    reached = True
            if error:
                failed.append(dict(target, error=error))
        if not reached:
            self._no_session(failed, initiator)
        return {"connected": connected, "failed": failed}

    def _no_session(self, failed, initiator):
        """Raise the error of a connect that reached no address, after undoing what it left."""
        details = ["%s (%s): %s" % (portal(item["address"], item.get("port")), item["qualified_name"], item["error"])
                   for item in failed]
        cleanup = self._forget(sorted(set(item["qualified_name"] for item in failed)))
        raise ConnectorError(
            "no %s session to the array: every address failed: %s. Check that this host reaches the addresses "
            "and that the array exports the volume to initiator %s%s"
            % (self.PROTOCOL, "; ".join(details) or "no target given", initiator, cleanup))

    def _refresh(self, session):
        """What to do for an address already in a session; an error text or None."""
        return None

    def _forget(self, qualified_names):
        """Undo what failed logins left behind; a text to add to the error, or ""."""
        return ""

    # -- devices ------------------------------------------------------------------------------
    def find_device(self, nguid=None, wwn=None, wait=True):
        """``{"device": "/dev/...", "by_id": "/dev/disk/by-id/..."}`` of the volume, or None.

        With ``wait`` it polls until the deadline (then a ConnectorError naming the volume and
        the seconds) and settles the device (iSCSI: the ready multipath map).
        """
        key = self._device_key(nguid, wwn)
        if not wait:
            return self._lookup(key)
        deadline = self._deadline()
        found = self._wait_for(deadline, lambda: self._lookup(key), lambda: self._not_found(key))
        return self._settle(found, key, deadline)

    def _device_key(self, nguid, wwn):
        """The lower-case NGUID (NVMe) or WWN (SCSI, without 0x) that the by-id names end with."""
        value = (nguid if self.KEY_NAME == KEY_NGUID else wwn) or ""
        if not value.strip():
            raise ConnectorError("finding an %s volume's device needs its %s, and none was given" % (self.PROTOCOL, self.KEY_NAME))
        key = value.strip().lower()
        return key[len("0x"):] if key.startswith("0x") else key

    def _lookup(self, key, want_dm=False):
        """The first by-id link of the volume (LXD's prefixes, by suffix, no partitions) whose
        device exists; only a multipath map with ``want_dm``."""
        for name in self._by_id_names(key):
            device = self._resolve(os.path.join(BY_ID, name))
            if not self._exists(device) or (want_dm and not os.path.basename(device).startswith(DM_PREFIX)):
                continue
            return {"device": device, "by_id": os.path.join(BY_ID, name)}
        return None

    def _not_found(self, key):
        return ("the volume's device (%s %s) did not appear in %s within %s s: check that the %s session is up "
                "and that the array exports the volume to this host" % (self.KEY_NAME, key, BY_ID, self.timeout, self.PROTOCOL))

    def _settle(self, found, key, deadline):
        """The device to hand out once it is there: the found one unless the protocol says more."""
        return found

    def users(self, device):
        """What uses ``device`` or one of its partitions: mounts (major:minor or source path in
        /proc/self/mountinfo) and holders (dm, LVM, md); one text each, none when it is free."""
        device = self._resolve(device)
        name = os.path.basename(device)
        mounts = parse_mountinfo(self._read(MOUNTINFO))
        found = []
        for block in [name] + self._partitions(name):
            path = os.path.join(DEV, block)
            number = self._read(SYS_CLASS_BLOCK, block, "dev")
            for major_minor, source, mount_point in mounts:
                if (number and major_minor == number) or (source.startswith(DEV + "/") and self._resolve(source) == path):
                    found.append("%s is mounted at %s" % (path, mount_point))
            for holder in self._list(SYS_CLASS_BLOCK, block, "holders"):
                label = self._read(SYS_CLASS_BLOCK, holder, "dm", "name")
                found.append("%s is held by %s%s" % (path, os.path.join(DEV, holder), " (%s)" % label if label else ""))
        return found

    def _partitions(self, name):
        return [entry for entry in self._list(SYS_CLASS_BLOCK, name)
                if entry.startswith(name) and self._exists(SYS_CLASS_BLOCK, name, entry, "partition")]


class NvmeConnector(Connector):
    """NVMe/TCP through nvme-cli; the kernel adds and removes namespaces itself."""

    PROTOCOL = "NVMe/TCP"
    MODULES = ("nvme_fabrics", "nvme_tcp")
    TOOLS = ("nvme",)
    VERSION_COMMAND = ("nvme", "version")
    KEY_NAME = KEY_NGUID

    def initiator(self):
        """The host NQN from /etc/nvme/hostnqn."""
        nqn = self._initiator_text(NVME_HOSTNQN_FILE, "run the role %s (it writes one with `nvme gen-hostnqn`), "
                                                      "or give the initiator name to the task" % ROLE)
        if not nqn.startswith("nqn."):
            raise ConnectorError("%s holds %r, which is not an NQN (nqn.<date>.<domain>:...): write one with "
                                 "`nvme gen-hostnqn > %s`" % (NVME_HOSTNQN_FILE, nqn, NVME_HOSTNQN_FILE))
        return nqn

    def _host_args(self, initiator):
        """--hostnqn, and --hostid from /etc/nvme/hostid so that every connection of this host
        carries the same host identifier (left out when the file is absent, as nvme-cli does)."""
        args = ["--hostnqn", initiator]
        text = self._read(NVME_HOSTID_FILE)
        if text:
            try:
                args.extend(["--hostid", str(uuid.UUID(text))])
            except ValueError:
                raise ConnectorError("%s holds %r, which is not a UUID: write one with `uuidgen > %s` or remove "
                                     "the file" % (NVME_HOSTID_FILE, text, NVME_HOSTID_FILE))
        return args

    def _discover_at(self, address, initiator):
        """(targets, problem) of `nvme discover` on port 8009: the records of subtype "nvme subsystem"
        over tcp at ``address``; when none is at that address, the first one's NQN there (as LXD)."""
        args = (["nvme", "discover", "--transport", NVME_TRANSPORT, "--traddr", address,
                 "--trsvcid", str(NVME_DISCOVERY_PORT)] + self._host_args(initiator) + ["--output-format", "json"])
        rc, out, err = self._run(args)
        if rc != 0:
            return [], command_failure(args, rc, out, err)
        if NVME_NO_DISCOVERY_ENTRIES in out:
            return [], NVME_NO_DISCOVERY_ENTRIES
        try:
            records = json.loads(out).get("records") or []
        except (ValueError, AttributeError):
            return [], "`nvme discover` printed no JSON discovery log: %r" % out[:200]
        records = [record for record in records
                   if record.get("subtype") == NVME_SUBSYSTEM_RECORD and record.get("trtype") == NVME_TRANSPORT]
        if not records:
            return [], "the discovery log lists no NVMe/TCP subsystem"
        here = [record for record in records if record.get("traddr") == address] or [dict(records[0], traddr=address, trsvcid="")]
        return [{"address": address, "port": int(str(record.get("trsvcid") or "").strip() or NVME_PORT),
                 "qualified_name": record["subnqn"]} for record in here], None

    def _subsystems(self, nqn):
        return [entry for entry in self._list(NVME_SUBSYSTEMS) if self._read(NVME_SUBSYSTEMS, entry, "subsysnqn") == nqn]

    def _sessions(self, qualified_name):
        """The addresses of the controllers of subsystem ``qualified_name``, each to its controller name."""
        addresses = {}
        for subsystem in self._subsystems(qualified_name):
            for controller in self._list(NVME_SUBSYSTEMS, subsystem):
                if not NVME_CONTROLLER_NAME.match(controller):
                    continue
                fields = parse_address(self._read(NVME_CONTROLLERS, controller, "address"))
                if fields.get("traddr"):
                    addresses[fields["traddr"]] = controller
        return addresses

    def _login(self, target, initiator):
        args = (["nvme", "connect", "--transport", NVME_TRANSPORT, "--traddr", target["address"],
                 "--trsvcid", str(target.get("port") or NVME_PORT), "--nqn", target["qualified_name"]]
                + self._host_args(initiator))
        return self._try(args)

    def disconnect(self, qualified_name):
        """`nvme disconnect --nqn`; True when it closed a controller.

        Always asked, not only when /sys shows a session: nvme-cli says how many controllers it
        disconnected (0 is not an error), and a session /sys does not show is still closed.
        """
        args = ["nvme", "disconnect", "--nqn", qualified_name]
        rc, out, err = self._run(args)
        if rc != 0:
            raise ConnectorError("%s: close what still uses the subsystem's namespaces and try again"
                                 % command_failure(args, rc, out, err))
        match = NVME_DISCONNECTED.search(out)
        return bool(match and int(match.group(1)))

    def _by_id_names(self, key):
        return [name for name in self._list(BY_ID)
                if name.startswith(NVME_BY_ID_PREFIX) and name.endswith(key) and PARTITION_MARK not in name]

    def remove_device(self, device):
        """Nothing: the kernel removes the namespace when the array takes the vLUN away. False."""
        return False


class IscsiConnector(Connector):
    """iSCSI through open-iscsi, over a multipath map (dm-*) as LXD requires."""

    PROTOCOL = "iSCSI"
    MODULES = ("iscsi_tcp",)
    TOOLS = ("iscsiadm", "multipath")
    VERSION_COMMAND = ("iscsiadm", "--version")
    KEY_NAME = KEY_WWN

    def initiator(self):
        """The IQN on the ``InitiatorName=`` line of /etc/iscsi/initiatorname.iscsi."""
        fix = "run the role %s (it installs open-iscsi, which writes one), or give the initiator name to the task" % ROLE
        for line in self._initiator_text(ISCSI_INITIATOR_FILE, fix).splitlines():
            line = line.strip()
            if line.startswith(ISCSI_INITIATOR_KEY) and line[len(ISCSI_INITIATOR_KEY):].strip():
                return line[len(ISCSI_INITIATOR_KEY):].strip()
        raise ConnectorError("%s has no %s line: %s" % (ISCSI_INITIATOR_FILE, ISCSI_INITIATOR_KEY, fix))

    def _discover_at(self, address, initiator):
        """(targets, problem) of sendtargets discovery on port 3260, keeping only the records of the
        portal asked (the array lists all its portals)."""
        asked = portal(address, ISCSI_PORT)
        args = ["iscsiadm", "--mode", "discovery", "--type", "sendtargets", "--portal", asked, "--op", "nonpersistent"]
        rc, out, err = self._run(args)
        if rc != 0:
            return [], command_failure(args, rc, out, err)
        found = [{"address": address, "port": ISCSI_PORT, "qualified_name": iqn}
                 for record_portal, iqn in self._sendtargets(out) if record_portal == asked]
        return found, (None if found else "the array lists no target at %s" % asked)

    @staticmethod
    def _sendtargets(out):
        """(portal, iqn) of each ``<addr:port>,<tpgt> <iqn>`` line."""
        records = []
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 2 and "," in fields[0]:
                records.append((fields[0].rpartition(",")[0], fields[1]))
        return records

    def _sessions(self, qualified_name):
        """The addresses in sessions to target ``qualified_name``, each to its session id."""
        addresses = {}
        for entry in self._list(ISCSI_SESSIONS):
            match = ISCSI_SESSION_NAME.match(entry)
            if not match or self._read(ISCSI_SESSIONS, entry, "targetname") != qualified_name:
                continue
            for connection in self._list(ISCSI_CONNECTIONS):
                if connection.startswith("connection%s:" % match.group(1)):
                    address = self._read(ISCSI_CONNECTIONS, connection, "address")
                    if address:
                        addresses[address] = match.group(1)
        return addresses

    def _refresh(self, session):
        """A rescan of the session, so that a LUN exported since the login shows up (LXD does)."""
        return self._try(["iscsiadm", "--mode", "session", "--sid", session, "--rescan"])

    def _login(self, target, initiator):
        """Add the node record, then log in (exit 15: another run logged in meanwhile)."""
        node = ["iscsiadm", "--mode", "node", "--targetname", target["qualified_name"],
                "--portal", portal(target["address"], target.get("port") or ISCSI_PORT)]
        return self._try(node + ["--op", "new"]) or self._try(node + ["--login"], (0, ISCSI_ERR_SESS_EXISTS))

    def _forget(self, qualified_names):
        """The node records the failed logins created (none of them has a session)."""
        problems = [self._try(["iscsiadm", "--mode", "node", "--targetname", name, "--op", "delete"], (0, ISCSI_ERR_NO_OBJS_FOUND))
                    for name in qualified_names]
        problems = [problem for problem in problems if problem]
        return (". Removing the node records failed too: %s" % "; ".join(problems)) if problems else ""

    def disconnect(self, qualified_name):
        """Log out of target ``qualified_name`` and delete its node records (exit 21, nothing
        there, is fine for both); True when a session existed."""
        existed = bool(self._sessions(qualified_name))
        node = ["iscsiadm", "--mode", "node", "--targetname", qualified_name]
        for args in (node + ["--logout"], node + ["--op", "delete"]):
            self._run_or_fail(args, "close what still uses the target's devices and try again",
                              accepted=(0, ISCSI_ERR_NO_OBJS_FOUND))
        return existed

    def _by_id_names(self, key):
        names = self._list(BY_ID)
        scsi = [name for name in names if name.startswith(SCSI_BY_ID_PREFIX) and name.endswith(key)]
        return [name for name in scsi + [WWN_BY_ID_PREFIX + key] if name in names and PARTITION_MARK not in name]

    def _settle(self, found, key, deadline):
        """The volume's multipath map once `multipath -ll` calls it ready (LXD): a plain sd* is
        handed to `multipath <dev>` first, then its by-id link must turn to the dm-*."""
        if not os.path.basename(found["device"]).startswith(DM_PREFIX):
            if self._run(["multipath", "-c", found["device"]])[0] == MULTIPATH_NOT_A_PATH:
                # multipathd does not take this WWID (no multipath configured, blacklisted, or
                # find_multipaths keeps single paths): the plain disk is the device.
                return found
            args = ["multipath", found["device"]]
            answer = self._run(args)
            found = self._wait_for(deadline, lambda: self._lookup(key, want_dm=True), lambda: (
                "%s (the volume with WWN %s) did not become a multipath device (dm-*) within %s s; `%s` exited %s: %s. "
                "Check that multipathd runs and does not blacklist the WWID (the role %s configures it)"
                % (args[1], key, self.timeout, " ".join(args), answer[0], answer[2].strip() or answer[1].strip(), ROLE)))
        ready = ["multipath", "-ll", found["device"]]
        self._wait_for(deadline, lambda: MULTIPATH_READY in self._run(ready)[1], lambda: (
            "multipath map %s (the volume with WWN %s) has no path %r within %s s: see `multipath -ll %s`"
            % (found["device"], key, MULTIPATH_READY, self.timeout, found["device"])))
        return found

    def remove_device(self, device):
        """Flush the multipath map (retried), then delete each sd* path of the volume from the
        kernel and wait until it is gone. Done before the vLUN goes: I/O to a LUN the array
        took away hangs in D state. True."""
        device = self._resolve(device)
        name = os.path.basename(device)
        paths = [name]
        if name.startswith(DM_PREFIX):
            paths = self._multipath_paths(name)
            self._flush(device)
        # Only SCSI disks are deleted from the kernel; another device (a loop device of a test
        # fabric, say) goes when its provider takes it away.
        paths = [path for path in paths if path.startswith(SCSI_DISK_PREFIX)]
        for path in paths:
            if self._exists(SYS_BLOCK, path):
                self._write(self._path(SYS_BLOCK, path, "device", "delete"), "1")
        self._wait_for(self._deadline(), lambda: not [path for path in paths if self._exists(SYS_BLOCK, path)], lambda: (
            "%s: still there %s s after being deleted from the kernel, see `dmesg`" % (", ".join(paths), self.timeout)))
        return True

    def _multipath_paths(self, name):
        """The sd* paths of map ``name``: its slaves, and any sd* with its WWID (a path that
        already left the map, LXD's second look)."""
        wwid = self._read(SYS_CLASS_BLOCK, name, "dm", "uuid")
        paths = set(entry for entry in self._list(SYS_CLASS_BLOCK, name, "slaves") if entry.startswith(SCSI_DISK_PREFIX))
        paths.update(entry for entry in self._list(SYS_BLOCK) if entry.startswith(SCSI_DISK_PREFIX)
                     and wwid and same_wwid(self._read(SYS_BLOCK, entry, "device", "wwid"), wwid))
        return sorted(paths)

    def _flush(self, device):
        """`multipath -f`, tried FLUSH_ATTEMPTS times POLL_INTERVAL apart (LXD)."""
        for attempt in range(1, FLUSH_ATTEMPTS + 1):
            error = self._try(["multipath", "-f", device])
            if error is None:
                return
            if attempt < FLUSH_ATTEMPTS:
                self._sleep(POLL_INTERVAL)
        raise ConnectorError("%s, still after %d attempts: something still uses the map (see `dmsetup info %s`)"
                             % (error, FLUSH_ATTEMPTS, device))

    @staticmethod
    def _write(path, text):
        """Write to a sysfs file; a refusal is a ConnectorError."""
        try:
            with io.open(path, "w", encoding="utf-8") as handle:
                handle.write(u"%s" % text)
        except (IOError, OSError) as err:
            raise ConnectorError("cannot write %s to %s: %s (the module must run as root)" % (text, path, err))


CONNECTORS = {MODE_NVME: NvmeConnector, MODE_NVME_TCP: NvmeConnector, MODE_ISCSI: IscsiConnector}


def new_connector(mode, run_command, timeout=DEFAULT_TIMEOUT, root="/", clock=time.monotonic, sleep=time.sleep):
    """The connector of ``mode`` (nvme, nvme/tcp or iscsi); ``run_command`` is AnsibleModule's."""
    kind = CONNECTORS.get((mode or "").strip().lower())
    if kind is None:
        raise ConnectorError("mode %r has no host-side support: use nvme (or nvme/tcp) or iscsi" % (mode,))
    if not timeout or timeout <= 0:
        raise ConnectorError("timeout must be a positive number of seconds, got %r" % (timeout,))
    return kind(run_command, timeout=timeout, root=root, clock=clock, sleep=sleep)
