# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated NVMe/TCP and iSCSI fabric: what bin/nvme, bin/iscsiadm and bin/multipath share.

Test-side tooling, not collection content (see README.md in this folder). The simulator says what
the array exports to an initiator (GET /_sim/fabric) and which targets answer at an address (GET
/_sim/fabric/discovery); this module keeps the host side: sessions, iSCSI node records and the
attached devices, in one JSON file under a file lock, since several tools run at once. A device is
a loop device over the volume's sparse data file, with the /dev/disk/by-id links udev would make.

Every invocation of a tool first syncs: for each initiator with a session it asks the simulator
what is exported now, attaches what is new, detaches what is gone (never a mounted loop device)
and points the by-id links at a live loop device of their volume.

Command line: ``python3 fabric.py cleanup [STATE_DIR]`` detaches everything the fabric attached;
``python3 fabric.py show [STATE_DIR]`` prints the state.
"""

import contextlib
import fcntl
import functools
import json
import os
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ENV_SIM = "ALLETRA_FABRIC_SIM"
ENV_CA = "ALLETRA_FABRIC_CA"
ENV_STATE = "ALLETRA_FABRIC_STATE"
ENV_DEV = "ALLETRA_FABRIC_DEV"
ENV_IQN = "ALLETRA_FABRIC_IQN"
ENV_NQN = "ALLETRA_FABRIC_NQN"
DEFAULT_DEV = "/dev/disk/by-id"
ISCSI_INITIATOR_FILE = "/etc/iscsi/initiatorname.iscsi"
NVME_HOSTNQN_FILE = "/etc/nvme/hostnqn"

NVME = "nvme"
ISCSI = "iscsi"
NVME_PORT = 4420
NVME_DISCOVERY_PORT = 8009
ISCSI_PORT = 3260

STATE_FILE = "fabric.json"
LOCK_FILE = "fabric.lock"
STATE_VERSION = 1
LOCK_TIMEOUT = 120
LOCK_POLL = 0.05
RELEASE_TIMEOUT = 5
HTTP_TIMEOUT = 15
SECTOR = 512
PREFIX = "fabric emulation: "
DELETED = " (deleted)"


class FabricError(Exception):
    """A failure the tool reports on stderr (prefixed) and turns into its exit code."""


class SimUnreachable(FabricError):
    """The simulator did not answer (or answered something that is not the contract's JSON)."""


def warn(message):
    sys.stderr.write(PREFIX + message + "\n")


# -- the simulator ----------------------------------------------------------------------------
def sim_bases():
    """The simulators' base URLs: ALLETRA_FABRIC_SIM holds one, or several (arrays) separated by
    spaces or commas."""
    bases = [base.rstrip("/") for base in re.split(r"[\s,]+", os.environ.get(ENV_SIM, "")) if base]
    if not bases:
        raise SimUnreachable("%s is not set: the fabric needs the simulator's base URL" % ENV_SIM)
    return bases


def tls_context():
    """Verifies with each CA file of ALLETRA_FABRIC_CA (several separated by os.pathsep), or the system's."""
    return _context_for(tuple(cafile for cafile in (os.environ.get(ENV_CA) or "").split(os.pathsep) if cafile))


@functools.lru_cache(maxsize=None)
def _context_for(cafiles):
    """One context per set of CA files in a process; not the system's store as well when CA files are
    given (loading it costs each tool run tens of milliseconds)."""
    if not cafiles:
        return ssl.create_default_context()
    context = ssl.create_default_context(cafile=cafiles[0])
    for cafile in cafiles[1:]:
        context.load_verify_locations(cafile=cafile)
    return context


def fetch(base, path, **params):
    """The JSON answer of GET <base><path>?<params> (ALLETRA_FABRIC_CA verifies TLS)."""
    url = "%s%s?%s" % (base, path, urllib.parse.urlencode(params))
    # Never through a proxy of the environment: the simulator is local.
    handlers = [urllib.request.ProxyHandler({})]
    if url.startswith("https:"):
        handlers.append(urllib.request.HTTPSHandler(context=tls_context()))
    try:
        with urllib.request.build_opener(*handlers).open(url, timeout=HTTP_TIMEOUT) as answer:
            return json.loads(answer.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise SimUnreachable("GET %s failed: %s" % (url, err)) from err


def fabric_views(initiator):
    """What each array exports to ``initiator``: host, protocol, targets and exports (never None)."""
    views = []
    for base in sim_bases():
        view = fetch(base, "/_sim/fabric", initiator=initiator)
        if not isinstance(view, dict):
            raise SimUnreachable("GET %s/_sim/fabric answered %r, not an object" % (base, view))
        views.append({"host": view.get("host"), "protocol": view.get("protocol"),
                      "targets": view.get("targets") or [], "exports": view.get("exports") or []})
    return views


def discovery(address, protocol):
    """The targets the arrays list at ``address`` for ``protocol``, as the contract's records."""
    found = []
    for base in sim_bases():
        records = fetch(base, "/_sim/fabric/discovery", address=address, protocol=protocol)
        if not isinstance(records, list):
            raise SimUnreachable("GET %s/_sim/fabric/discovery answered %r, not a list" % (base, records))
        found.extend(record for record in records if record.get("protocol", protocol) == protocol)
    return found


# -- state ------------------------------------------------------------------------------------
def state_dir(given=None):
    folder = given or os.environ.get(ENV_STATE)
    if not folder:
        raise FabricError("%s is not set: the fabric needs a folder for its sessions and devices" % ENV_STATE)
    return folder


def link_dir():
    return os.environ.get(ENV_DEV) or DEFAULT_DEV


def empty_state():
    return {"version": STATE_VERSION, "next_sid": 1, "nodes": [], "sessions": [], "devices": [], "links": {}}


def load_state(path):
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except FileNotFoundError:
        return empty_state()
    for name, value in empty_state().items():
        state.setdefault(name, value)
    return state


def save_state(path, state):
    temporary = "%s.%d.tmp" % (path, os.getpid())
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=1, sort_keys=True)
    os.replace(temporary, path)


def lock(handle):
    """An exclusive fcntl lock on ``handle``, waited for up to LOCK_TIMEOUT seconds."""
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise FabricError("the fabric state lock %s was held for %s s" % (handle.name, LOCK_TIMEOUT))
            time.sleep(LOCK_POLL)


@contextlib.contextmanager
def locked_state(folder=None):
    """The state of ``folder`` (default ALLETRA_FABRIC_STATE), saved when the block ends, locked throughout."""
    folder = state_dir(folder)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, LOCK_FILE), "a", encoding="utf-8") as handle:
        lock(handle)
        path = os.path.join(folder, STATE_FILE)
        state = load_state(path)
        try:
            yield state
        finally:
            save_state(path, state)


def new_sid(state):
    sid = state["next_sid"]
    state["next_sid"] = sid + 1
    return sid


def add_session(state, protocol, initiator, target, address, port):
    """(session, created) for ``initiator`` to ``target`` at address:port; an existing one is reused."""
    for session in state["sessions"]:
        if (session["protocol"], session["initiator"], session["target"], session["address"],
                session["port"]) == (protocol, initiator, target, address, port):
            return session, False
    session = {"protocol": protocol, "initiator": initiator, "target": target, "address": address,
               "port": port, "sid": new_sid(state)}
    state["sessions"].append(session)
    return session, True


def take_sessions(state, wanted):
    """Remove and return the sessions ``wanted(session)`` is true for."""
    taken = [session for session in state["sessions"] if wanted(session)]
    state["sessions"] = [session for session in state["sessions"] if not wanted(session)]
    return taken


# -- initiators -------------------------------------------------------------------------------
def read_text(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def iscsi_initiator(required=True):
    """ALLETRA_FABRIC_IQN, else the InitiatorName= of /etc/iscsi/initiatorname.iscsi."""
    iqn = os.environ.get(ENV_IQN, "").strip()
    for line in read_text(ISCSI_INITIATOR_FILE).splitlines():
        if not iqn and line.strip().startswith("InitiatorName="):
            iqn = line.strip()[len("InitiatorName="):].strip()
    if not iqn and required:
        raise FabricError("no iSCSI initiator name: set %s or write %s" % (ENV_IQN, ISCSI_INITIATOR_FILE))
    return iqn or None


def nvme_initiator(given=None, required=True):
    """--hostnqn, else ALLETRA_FABRIC_NQN, else /etc/nvme/hostnqn."""
    nqn = (given or os.environ.get(ENV_NQN) or read_text(NVME_HOSTNQN_FILE)).strip()
    if not nqn and required:
        raise FabricError("no host NQN: give --hostnqn, set %s or write %s" % (ENV_NQN, NVME_HOSTNQN_FILE))
    return nqn or None


# -- loop devices -----------------------------------------------------------------------------
def run(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False)
    except OSError as err:
        raise FabricError("%s: %s" % (args[0], err)) from err


def sys_block(loop, *parts):
    return read_text(os.path.join("/sys/block", os.path.basename(loop), *parts)).strip()


def loop_backing(loop):
    """The path of the file the kernel has behind ``loop`` (also once that file was replaced or
    removed: the kernel then adds " (deleted)"), or ""."""
    backing = sys_block(loop, "loop", "backing_file")
    return backing[:-len(DELETED)] if backing.endswith(DELETED) else backing


def loop_size(loop):
    size = sys_block(loop, "size")
    return int(size) * SECTOR if size.isdigit() else 0


def loop_attach(data_file):
    result = run(["losetup", "--find", "--show", data_file])
    if result.returncode != 0 or not result.stdout.strip():
        raise FabricError("`losetup --find --show %s` exited %s: %s"
                          % (data_file, result.returncode, result.stderr.strip()))
    return result.stdout.strip()


def mounts_of(numbers, paths):
    """The mount points of /proc/self/mountinfo whose device is one of ``numbers`` (major:minor) or ``paths``."""
    found = []
    for line in read_text("/proc/self/mountinfo").splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        source = fields[fields.index("-") + 2] if len(fields) > fields.index("-") + 2 else ""
        if fields[2] in numbers or source in paths:
            found.append(fields[4])
    return found


def list_dir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def loop_users(loop):
    """Why ``loop`` may not go: mounts of it or of a partition, and holders (dm, md); empty when free."""
    name = os.path.basename(loop)
    blocks = [name] + [entry for entry in list_dir(os.path.join("/sys/block", name)) if entry.startswith(name + "p")]
    numbers = set(read_text(os.path.join("/sys/class/block", block, "dev")).strip() for block in blocks) - {""}
    users = ["mounted at %s" % point for point in mounts_of(numbers, set("/dev/" + block for block in blocks))]
    users.extend("held by /dev/%s" % holder for holder in list_dir(os.path.join("/sys/block", name, "holders")))
    return users


# -- devices ----------------------------------------------------------------------------------
def device_key(protocol, export):
    """The NGUID (NVMe) or WWN (iSCSI) of an export, lower case without 0x; None when it has none."""
    value = (export.get("nguid") if protocol == NVME else export.get("wwn")) or ""
    value = value.strip().lower()
    return (value[2:] if value.startswith("0x") else value) or None


def link_names(protocol, key):
    """The by-id names udev gives the volume's disk: nvme-eui.<nguid>; scsi-3<wwn> and wwn-0x<wwn>."""
    if protocol == NVME:
        return ["nvme-eui." + key]
    return ["scsi-3" + key, "wwn-0x" + key]


def backing_identity(data_file):
    info = os.stat(data_file)
    return [info.st_dev, info.st_ino]


def is_live(device):
    """True while the device's loop is still over the file it was attached to."""
    return bool(device.get("backing")) and loop_backing(device["loop"]) == device["backing"]


def is_current(device, export):
    """True when the device still shows the export's data file (same path, same file, live loop)."""
    data_file = export.get("data_file")
    if data_file != device["data_file"] or not is_live(device):
        return False
    try:
        return backing_identity(data_file) == device["identity"]
    except OSError:
        return False


def attach(state, initiator, protocol, key, export):
    """A new loop device over the export's data file, recorded; None (and a warning) when there is no
    file or losetup fails: the next invocation tries again."""
    data_file = export.get("data_file")
    try:
        if not data_file or not os.path.isfile(data_file):
            raise FabricError("its data file %r is missing (does the simulator run with --data-dir?)" % (data_file,))
        loop = loop_attach(data_file)
    except FabricError as err:
        warn("volume %s not attached for %s: %s" % (export.get("volume"), initiator, err))
        return None
    device = {"initiator": initiator, "protocol": protocol, "key": key, "volume": export.get("volume"),
              "lun": export.get("lun"), "wwn": export.get("wwn"), "nguid": export.get("nguid"),
              "data_file": data_file, "loop": loop, "backing": loop_backing(loop),
              "identity": backing_identity(data_file), "size": loop_size(loop)}
    state["devices"].append(device)
    return device


def detach(state, device):
    """Drop the device and its loop; a mounted or held loop is kept (stderr). True when it went."""
    if is_live(device):
        users = loop_users(device["loop"])
        if users:
            warn("%s (volume %s, %s) is in use (%s): kept attached"
                 % (device["loop"], device["volume"], device["initiator"], ", ".join(users)))
            return False
        result = run(["losetup", "-d", device["loop"]])
        if result.returncode != 0:
            warn("`losetup -d %s` exited %s: %s: kept" % (device["loop"], result.returncode, result.stderr.strip()))
            return False
    state["devices"].remove(device)
    return True


def refresh(device, export):
    """Follow a live device's export: a grown or shrunk data file (`losetup -c`), a new name or LUN."""
    device["volume"], device["lun"] = export.get("volume"), export.get("lun")
    size = os.path.getsize(device["data_file"])
    if size != device["size"]:
        result = run(["losetup", "-c", device["loop"]])
        if result.returncode != 0:
            warn("`losetup -c %s` exited %s: %s" % (device["loop"], result.returncode, result.stderr.strip()))
        device["size"] = loop_size(device["loop"])


# -- sync -------------------------------------------------------------------------------------
def wanted_exports(state, initiator):
    """{(protocol, key): export} the initiator should see now; None when a simulator cannot say.

    An array's exports show through a session of its view's protocol to one of its view's targets."""
    sessions = [session for session in state["sessions"] if session["initiator"] == initiator]
    if not sessions:
        return {}
    try:
        views = fabric_views(initiator)
    except SimUnreachable as err:
        warn("devices of %s left as they are: %s" % (initiator, err))
        return None
    wanted = {}
    for view in views:
        wanted.update(view_exports(view, sessions))
    return wanted


def view_exports(view, sessions):
    """{(protocol, key): export} of one array's view that ``sessions`` reach."""
    names = set(target.get("qualified_name") for target in view["targets"])
    protocols = [session["protocol"] for session in sessions
                 if session["target"] in names and view["protocol"] in (None, session["protocol"])]
    if not protocols:
        return {}
    wanted = {}
    for export in view["exports"]:
        key = device_key(protocols[0], export)
        if key is None:
            warn("volume %s has no %s: not attached" % (export.get("volume"), "NGUID" if protocols[0] == NVME else "WWN"))
            continue
        wanted[(protocols[0], key)] = export
    return wanted


def sync_initiator(state, initiator):
    wanted = wanted_exports(state, initiator)
    if wanted is None:
        return
    for device in [device for device in state["devices"] if device["initiator"] == initiator]:
        export = wanted.get((device["protocol"], device["key"]))
        if export is not None and is_current(device, export):
            refresh(device, export)
        elif not detach(state, device):
            wanted.pop((device["protocol"], device["key"]), None)
    attached = set((device["protocol"], device["key"]) for device in state["devices"] if device["initiator"] == initiator)
    for (protocol, key), export in wanted.items():
        if (protocol, key) not in attached:
            attach(state, initiator, protocol, key, export)


def known_initiators(state):
    found = []
    for item in state["sessions"] + state["devices"]:
        if item["initiator"] not in found:
            found.append(item["initiator"])
    return found


def sync(state, initiators=None):
    """Bring the devices of ``initiators`` (default: all the state knows) in line with the simulator,
    then the by-id links in line with the devices."""
    for initiator in known_initiators(state) if initiators is None else initiators:
        sync_initiator(state, initiator)
    update_links(state)


def wanted_links(state):
    """{link path: [loop devices that may back it]}, in the order the devices were attached."""
    folder = link_dir()
    wanted = {}
    for device in state["devices"]:
        if not is_live(device):
            continue
        for name in link_names(device["protocol"], device["key"]):
            wanted.setdefault(os.path.join(folder, name), []).append(device["loop"])
    return wanted


def put_link(path, loop):
    """``path`` -> ``loop`` as udev writes it (relative), replaced atomically."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    target = os.path.relpath(loop, os.path.dirname(path))
    if os.path.islink(path) and os.readlink(path) == target:
        return
    temporary = "%s.fabric-%d" % (path, os.getpid())
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.symlink(target, temporary)
    os.replace(temporary, path)


def update_links(state):
    """Each link on a live loop of its volume (kept on the same one while it lives); links without a
    loop left are removed. Only links the fabric made are touched."""
    wanted = wanted_links(state)
    links = {}
    for path, loops in wanted.items():
        current = state["links"].get(path)
        links[path] = current if current in loops else loops[0]
        put_link(path, links[path])
    for path in state["links"]:
        if path not in links and os.path.islink(path):
            os.unlink(path)
    state["links"] = links


def devices_of(state, initiator=None, protocol=None):
    return [device for device in state["devices"]
            if initiator in (None, device["initiator"]) and protocol in (None, device["protocol"])]


def find_device(state, name):
    """The devices behind ``name`` as multipath takes it: a device path or name, a by-id link, or a
    WWID / NGUID with or without its prefix (3, 0x, eui.)."""
    text = name.strip()
    path = os.path.realpath(text) if "/" in text else os.path.join("/dev", text)
    keys = set([text.lower()] + [text.lower()[len(prefix):] for prefix in ("3", "0x", "eui.")
                                 if text.lower().startswith(prefix)])
    return [device for device in state["devices"] if device["loop"] == path or device["key"] in keys]


# -- running the tools ------------------------------------------------------------------------
def invoke(handler, argv, error_rc=1):
    """Run a tool's ``handler(argv, state)``: with ALLETRA_FABRIC_STATE set, under the lock and after a
    sync (state None otherwise). FabricError and SimUnreachable are reported and become ``error_rc``."""
    try:
        if not os.environ.get(ENV_STATE):
            return handler(argv, None)
        with locked_state() as state:
            sync(state)
            return handler(argv, state)
    except FabricError as err:
        warn(str(err))
        return error_rc


def require(state):
    if state is None:
        raise FabricError("%s is not set: this command needs the fabric's state" % ENV_STATE)
    return state


def cleanup(folder=None):
    """Detach everything the fabric attached under ``folder``: sessions and node records forgotten,
    loops detached, links removed. Returns the devices kept because they are in use.

    `losetup -d` of a loop that another process still holds open (udev probing a new device)
    succeeds, and the kernel frees the loop once it is closed; cleanup waits for that, up to
    RELEASE_TIMEOUT seconds, so that whoever checks for leftovers next sees none."""
    with locked_state(folder) as state:
        state["sessions"], state["nodes"] = [], []
        detached = []
        for device in list(state["devices"]):
            live = is_live(device)
            if detach(state, device) and live:
                detached.append(device)
        update_links(state)
        deadline = time.monotonic() + RELEASE_TIMEOUT
        while any(is_live(device) for device in detached) and time.monotonic() < deadline:
            time.sleep(LOCK_POLL)
        return list(state["devices"])


def main(argv):
    if not argv or argv[0] not in ("cleanup", "show") or len(argv) > 2:
        sys.stderr.write("usage: fabric.py cleanup|show [STATE_DIR] (default $%s)\n" % ENV_STATE)
        return 2
    try:
        if argv[0] == "show":
            with locked_state(argv[1] if len(argv) > 1 else None) as state:
                print(json.dumps(state, indent=1, sort_keys=True))
            return 0
        kept = cleanup(argv[1] if len(argv) > 1 else None)
    except FabricError as err:
        warn(str(err))
        return 1
    for device in kept:
        warn("kept %s (volume %s of %s): in use" % (device["loop"], device["volume"], device["initiator"]))
    return 1 if kept else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
