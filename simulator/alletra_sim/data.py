"""Volume data, kept behind one small class.

Every volume has an identity token (``dataId``): a snapshot shares its parent's, a finished copy or
promote hands the captured one on, a host write makes a new one. With a data directory each volume
(and snapshot) also has its blocks in a sparse file ``<data_dir>/<volume id>.img`` of exactly
``sizeMiB`` MiB, which the same events copy: the emulated fabric exposes these files as loop devices.
A copy task's point-in-time is a sparse capture file (``capture-<uuid>.img``) made when the task
starts and removed when it ends.
"""

import errno
import os
import uuid

MIB = 1024 * 1024
# Copies move data in blocks of this size and skip the blocks that are all zeros (files stay sparse).
BLOCK = MIB
_ZEROS = bytes(BLOCK)


def _data_ranges(fd, size):
    """The (start, end) byte ranges of an open file that may hold data, holes skipped (SEEK_DATA/SEEK_HOLE)."""
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as err:
            if err.errno != errno.ENXIO:          # no SEEK_DATA here: read the rest, zero blocks are skipped
                yield offset, size
            return
        if start >= size:
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        yield start, end
        offset = end


def sparse_copy(source, target, size):
    """``target`` becomes a file of ``size`` bytes holding ``source``'s bytes (as far as either goes) and
    zeros elsewhere; only blocks that are not all zeros are written, so holes stay holes."""
    with open(target, "wb") as dst:
        dst.truncate(size)
        if source is None or not os.path.exists(source):
            return
        with open(source, "rb") as src:
            limit = min(size, os.fstat(src.fileno()).st_size)
            for start, end in _data_ranges(src.fileno(), limit):
                for offset in range(start, end, BLOCK):
                    block = os.pread(src.fileno(), min(BLOCK, end - offset), offset)
                    if block != _ZEROS[:len(block)]:
                        os.pwrite(dst.fileno(), block, offset)


def _remove(path):
    """Remove a file that may already be gone."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


class VolumeData:
    """Every change of volume contents goes through here; ``data_dir`` None keeps identities only."""

    def __init__(self, data_dir=None):
        """Keep data files in ``data_dir`` (created if missing), or none at all."""
        self.data_dir = os.path.abspath(data_dir) if data_dir else None
        if self.data_dir:
            os.makedirs(self.data_dir, exist_ok=True)

    @staticmethod
    def _fresh():
        return uuid.uuid4().hex

    def path(self, volume):
        """The volume's data file (named by its id), None without a data directory."""
        if not self.data_dir:
            return None
        return os.path.join(self.data_dir, "%d.img" % volume["id"])

    def _capture_path(self, captured):
        """The capture file of a handle from capture(), None if it has none (or is an old bare dataId)."""
        if not self.data_dir or not isinstance(captured, dict) or not captured.get("file"):
            return None
        return os.path.join(self.data_dir, captured["file"])

    def _blank(self, volume):
        """The volume's file, if any, becomes all zeros (a hole) of exactly its size."""
        if self.data_dir:
            sparse_copy(None, self.path(volume), volume["sizeMiB"] * MIB)

    def create(self, volume):
        """A new, empty volume."""
        volume["_dataId"] = self._fresh()
        self._blank(volume)

    def snapshot(self, parent, snapshot):
        """A virtual copy sees its parent's data as of now."""
        snapshot["_dataId"] = parent["_dataId"]
        if self.data_dir:
            sparse_copy(self.path(parent), self.path(snapshot), snapshot["sizeMiB"] * MIB)

    def capture(self, volume):
        """A handle on the volume's data now (the point-in-time a copy task starts from); release() frees it."""
        handle = {"dataId": volume["_dataId"], "file": None}
        if self.data_dir:
            handle["file"] = "capture-%s.img" % self._fresh()
            sparse_copy(self.path(volume), self._capture_path(handle), volume["sizeMiB"] * MIB)
        return handle

    def restore(self, volume, captured):
        """A finished copy or promote: ``volume`` now holds the captured data (zeros beyond it)."""
        volume["_dataId"] = captured["dataId"] if isinstance(captured, dict) else captured
        if self.data_dir:
            sparse_copy(self._capture_path(captured), self.path(volume), volume["sizeMiB"] * MIB)

    def release(self, captured):
        """A task that captured data ended: its capture file goes."""
        path = self._capture_path(captured)
        if path:
            _remove(path)

    def write(self, volume):
        """Host writes changed the volume."""
        volume["_dataId"] = self._fresh()
        return volume["_dataId"]

    def interrupt(self, volume):
        """A copy into ``volume`` stopped half way: its contents are neither old nor new (the file is zeroed)."""
        volume["_dataId"] = self._fresh()
        self._blank(volume)

    def grow(self, volume, new_size_mib):
        """The volume got bigger; existing data is unchanged (the file gets a hole at its end)."""
        if self.data_dir:
            with open(self.path(volume), "ab") as handle:
                handle.truncate(new_size_mib * MIB)

    def ensure(self, volume):
        """A volume loaded from a state file: its file exists with its size (an empty one if it was missing)."""
        if not self.data_dir:
            return
        if not os.path.exists(self.path(volume)):
            self._blank(volume)
        elif os.path.getsize(self.path(volume)) != volume["sizeMiB"] * MIB:
            self.grow(volume, volume["sizeMiB"])

    def delete(self, volume):
        """The volume is gone (and its file)."""
        if self.data_dir:
            _remove(self.path(volume))
