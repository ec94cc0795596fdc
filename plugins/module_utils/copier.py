# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host side of a data copy between two attached volumes (playbooks/migrate.yml).

Filesystem volumes are copied by rsync, block volumes by ``copy_block``; both are held to a rate
(LXD's ``rsync.bwlimit``), report their progress in a JSON file that another task reads while
the copy runs (``alletra_data_copy_info``), and are verified by checksums.

This is the one host command whose output is read while it runs (rsync's progress), which
``AnsibleModule.run_command`` cannot do; so rsync is started here with ``subprocess`` (a
``popen`` argument lets tests drive it). Waits use the ``clock`` and ``sleep`` given.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import select
import stat
import subprocess
import time

from ansible_collections.alletra.storage.plugins.module_utils.naming import parse_size

KIB = 1024
MIB = 1024 * 1024
# The most a block copy reads and writes at once; a low rate takes smaller pieces, so the rate
# holds over a second.
CHUNK = MIB
MIN_CHUNK = 4 * KIB
# How often the progress file is written, in seconds; a reader takes a file older than
# STALE_SECONDS for a copy that died.
PROGRESS_INTERVAL = 0.5
STALE_SECONDS = 60
READ_BLOCK = MIB
NO_LIMIT = ("", "0")
_BWLIMIT_FORMS = ("give 0 for no limit, or a rate per second in LXD's units: '10MiB', '500kB', '1GB' "
                  "or a number of bytes such as '1048576'")
# rsync --info=progress2: "    1,048,576  45%   10.00MB/s    0:00:01 (xfr#3, to-chk=0/10)".
_PROGRESS2_RE = re.compile(r"^\s*([0-9,]+)\s+([0-9]+)%\s+([0-9.]+)([kMGT]?B)/s")
_RSYNC_UNITS = {"B": 1, "kB": KIB, "MB": MIB, "GB": KIB * MIB, "TB": MIB * MIB}
_BYTE_UNITS = (("TiB", MIB * MIB), ("GiB", KIB * MIB), ("MiB", MIB), ("KiB", KIB))


class CopyError(Exception):
    """A copy that failed or could not be verified; the message says which and why."""


def parse_bwlimit(value):
    """Bytes per second of LXD's ``rsync.bwlimit`` (``10MiB``, ``500kB``, bytes); 0 is no limit."""
    text = "" if value is None else str(value).strip()
    if text in NO_LIMIT:
        return 0
    try:
        return parse_size(text)
    except ValueError:
        raise ValueError("%r is not a rate: %s" % (value, _BWLIMIT_FORMS))


def rsync_kib(rate):
    """rsync's --bwlimit (KiB per second) for ``rate`` bytes per second, never 0 (no limit) for a limit."""
    return -(-rate // KIB) if rate else 0


def rsync_command(source, destination, rate, compress):
    """rsync of the tree at ``source`` onto ``destination``, made equal to it (hard links, ACLs,
    extended attributes and owners by number kept; files the source lacks deleted).

    --checksum: the destination already holds the previous step (an older snapshot), and rsync's
    quick check (same size and time) would keep a file whose content changed within a second."""
    command = ["rsync", "-aHAX", "--numeric-ids", "--checksum", "--delete", "--info=progress2", "--no-inc-recursive"]
    if compress:
        command.append("--compress")
    if rate:
        command.append("--bwlimit=%d" % rsync_kib(rate))
    return command + [source.rstrip("/") + "/", destination.rstrip("/") + "/"]


def format_bytes(count):
    """``count`` bytes in the largest binary unit of at least one: '12.5MiB', '512B'."""
    for unit, size in _BYTE_UNITS:
        if count >= size:
            return "%.1f%s" % (float(count) / size, unit)
    return "%dB" % count


class Progress(object):
    """The progress of one copy in a JSON file (``path``; None keeps it in memory only), written
    atomically at most every PROGRESS_INTERVAL seconds and at the end."""

    def __init__(self, path, step, total=None, clock=time.monotonic, wall=time.time):
        self.path, self.clock, self.wall = path, clock, wall
        self.started = clock()
        self.written = None
        self.state = {"step": step, "bytes": 0, "total": total, "percent": None, "rate": 0,
                      "elapsed": 0.0, "finished": False, "failed": False, "msg": ""}

    def update(self, done, percent=None, rate=None, force=False):
        elapsed = max(self.clock() - self.started, 1e-9)
        total = self.state["total"]
        if percent is None and total:
            percent = min(100, int(done * 100 // total))
        self.state.update(bytes=done, percent=percent, elapsed=round(elapsed, 3),
                          rate=int(rate if rate is not None else done / elapsed))
        if force or self.written is None or self.clock() - self.written >= PROGRESS_INTERVAL:
            self.write()

    def finish(self, failed=False, msg=""):
        self.state.update(finished=True, failed=failed, msg=msg)
        if not failed:
            self.state["percent"] = 100
        self.write()

    def write(self):
        self.written = self.clock()
        self.state["updated"] = self.wall()
        if self.path:
            temporary = "%s.%d.tmp" % (self.path, os.getpid())
            with open(temporary, "w") as handle:
                json.dump(self.state, handle)
            os.rename(temporary, self.path)


# What an empty filesystem holds at its root (mkfs.ext4 makes lost+found).
EMPTY_FILESYSTEM = ("lost+found",)
# How much of a block device's start is read for data: filesystems, partition tables and LVM labels sign there.
SIGNATURE_BYTES = 1024 * 1024


def holds_data(path, content_type):
    """What makes ``path`` look in use (a few of a folder's entries, or "data in its first MiB"), or None when empty."""
    if content_type == "filesystem":
        entries = sorted(name for name in os.listdir(path) if name not in EMPTY_FILESYSTEM)
        return ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "") if entries else None
    with open(path, "rb") as handle:
        head = handle.read(SIGNATURE_BYTES)
    return "data in its first MiB" if head.strip(b"\0") else None


def size_of(path):
    """Bytes in a block device or file."""
    with open(path, "rb") as handle:
        return handle.seek(0, os.SEEK_END)


def throttle(done, rate, started, clock, sleep):
    """Sleep until ``done`` bytes since ``started`` are no faster than ``rate`` per second."""
    if rate:
        ahead = float(done) / rate - (clock() - started)
        if ahead > 0:
            sleep(ahead)


def copy_block(source, destination, rate=0, progress=None, clock=time.monotonic, sleep=time.sleep):
    """Copy every byte of ``source`` (a block device or file) to the start of ``destination``, at
    most ``rate`` bytes per second (0: no limit); flushed to the device before it returns.
    Returns the bytes copied."""
    total = size_of(source)
    if size_of(destination) < total:
        raise CopyError("%s (%d bytes) is smaller than %s (%d bytes)" % (destination, size_of(destination), source, total))
    chunk = max(MIN_CHUNK, min(CHUNK, rate // 10)) if rate else CHUNK
    started, done = clock(), 0
    with open(source, "rb") as reader, open(destination, "r+b") as writer:
        while done < total:
            data = reader.read(min(chunk, total - done))
            if not data:
                raise CopyError("%s ended after %d of %d bytes" % (source, done, total))
            writer.write(data)
            done += len(data)
            throttle(done, rate, started, clock, sleep)
            if progress:
                progress.update(done)
        writer.flush()
        os.fsync(writer.fileno())
    return done


def parse_progress2(line):
    """(bytes, percent, rate in bytes per second) of one rsync --info=progress2 line, or None."""
    match = _PROGRESS2_RE.match(line)
    if not match:
        return None
    rate = float(match.group(3)) * _RSYNC_UNITS[match.group(4)]
    return int(match.group(1).replace(",", "")), int(match.group(2)), int(rate)


def run_rsync(command, progress=None, popen=subprocess.Popen, clock=time.monotonic):
    """Run rsync, following its progress lines (``\\r``-separated) into ``progress``, which is written
    at least every PROGRESS_INTERVAL seconds while rsync is quiet. Returns (rc, stderr)."""
    process = popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pending = b""
    while True:
        ready = select.select([process.stdout], [], [], PROGRESS_INTERVAL)[0]
        data = os.read(process.stdout.fileno(), 65536) if ready else b""
        if ready and not data:
            break
        *lines, pending = re.split(b"[\r\n]", pending + data)
        for line in lines:
            parsed = parse_progress2(line.decode("utf-8", "replace"))
            if parsed and progress:
                progress.update(parsed[0], percent=parsed[1], rate=parsed[2])
        if progress and not ready:
            progress.update(progress.state["bytes"], percent=progress.state["percent"], rate=progress.state["rate"])
    stderr = process.stderr.read().decode("utf-8", "replace")
    return process.wait(), stderr.strip()


def device_checksum(path, size):
    """SHA-256 of the first ``size`` bytes of ``path``."""
    digest = hashlib.sha256()
    left = size
    with open(path, "rb") as handle:
        while left > 0:
            data = handle.read(min(READ_BLOCK, left))
            if not data:
                raise CopyError("%s ended %d bytes before %d" % (path, left, size))
            digest.update(data)
            left -= len(data)
    return digest.hexdigest()


def file_checksum(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for data in iter(lambda: handle.read(READ_BLOCK), b""):
            digest.update(data)
    return digest.hexdigest()


def entry_line(root, relative):
    """What the tree checksum takes of one entry: path, type, permissions, owner, and the content
    (a file's SHA-256, a link's target, a device's number)."""
    path = os.path.join(root, relative)
    info = os.lstat(path)
    if stat.S_ISREG(info.st_mode):
        content = file_checksum(path)
    elif stat.S_ISLNK(info.st_mode):
        content = os.readlink(path)
    elif stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        content = "%d:%d" % (os.major(info.st_rdev), os.minor(info.st_rdev))
    else:
        content = ""
    line = "%s\0%o\0%d\0%d\0%s\n" % (relative, info.st_mode, info.st_uid, info.st_gid, content)
    return line, info.st_size if stat.S_ISREG(info.st_mode) else 0


def tree_checksum(root):
    """{checksum, files, bytes} of the tree under ``root``: SHA-256 over every entry's line, in
    path order (the root's own times and inode numbers are left out)."""
    digest = hashlib.sha256()
    files = total = 0
    for folder, folders, names in os.walk(root):
        folders.sort()
        for name in sorted(folders + names):
            relative = os.path.relpath(os.path.join(folder, name), root)
            line, size = entry_line(root, relative)
            digest.update(line.encode("utf-8", "surrogateescape"))
            files += 1
            total += size
    return {"checksum": digest.hexdigest(), "files": files, "bytes": total}


def read_progress(path, clock=time.time):
    """The progress a copy wrote to ``path`` with ``stale`` (not written for STALE_SECONDS) and
    ``message``; None before the copy wrote it."""
    try:
        with open(path) as handle:
            state = json.load(handle)
    except (IOError, OSError, ValueError):
        return None
    state["stale"] = not state.get("finished") and clock() - state.get("updated", 0) > STALE_SECONDS
    state["message"] = progress_message(state)
    return state


def progress_message(state):
    """'12.5MiB of 256.0MiB (5%) at 1.0MiB/s, 12.3 s' and what ended the copy."""
    done = format_bytes(state.get("bytes") or 0)
    if state.get("total"):
        done += " of %s" % format_bytes(state["total"])
    if state.get("percent") is not None:
        done += " (%d%%)" % state["percent"]
    text = "%s: %s at %s/s, %.1f s" % (state.get("step"), done, format_bytes(state.get("rate") or 0), state.get("elapsed") or 0)
    if state.get("failed"):
        return text + ", failed: " + state.get("msg", "")
    return text + (", done" if state.get("finished") else "")


def wait_progress(path, wait, clock=time.monotonic, sleep=time.sleep):
    """The copy's progress after at most ``wait`` seconds: at once when it has finished (or died)."""
    deadline = clock() + wait
    while True:
        state = read_progress(path)
        if (state and (state["finished"] or state["stale"])) or clock() >= deadline:
            return state
        sleep(min(PROGRESS_INTERVAL, max(deadline - clock(), 0)))
