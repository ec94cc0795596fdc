"""Volume data, kept behind one small class.

Today a volume's data is only an identity token (``dataId``). A later version keeps each
volume's blocks in a sparse file exposed as a loop device; only this class changes then
(``dataId`` becomes a checksum of the file).
"""

import uuid


class VolumeData:
    """Every change of volume contents goes through here."""

    @staticmethod
    def _fresh():
        return uuid.uuid4().hex

    def create(self, volume):
        """A new, empty volume."""
        volume["_dataId"] = self._fresh()

    def snapshot(self, parent, snapshot):
        """A virtual copy sees its parent's data as of now."""
        snapshot["_dataId"] = parent["_dataId"]

    @staticmethod
    def capture(volume):
        """A handle on the volume's data now (the point-in-time a copy task starts from)."""
        return volume["_dataId"]

    def restore(self, volume, captured):
        """A finished copy or promote: ``volume`` now holds the captured data."""
        volume["_dataId"] = captured

    def write(self, volume):
        """Host writes changed the volume."""
        volume["_dataId"] = self._fresh()
        return volume["_dataId"]

    def interrupt(self, volume):
        """A copy into ``volume`` stopped half way: its contents are neither old nor new."""
        volume["_dataId"] = self._fresh()

    def grow(self, volume, new_size_mib):
        """The volume got bigger; existing data is unchanged."""

    def delete(self, volume):
        """The volume is gone."""
