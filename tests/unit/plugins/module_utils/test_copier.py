# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The data copier of playbooks/migrate.yml: LXD's rsync.bwlimit, the rate limit (for real, against
the clock), rsync's command line and progress, the checksums (the host-side modules: tests/unit/plugins/modules/test_data_copy.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import copier

MIB = 1024 * 1024


@pytest.mark.parametrize("given, rate", [
    ("0", 0), ("", 0), (None, 0), (0, 0), ("10MiB", 10 * MIB), ("500kB", 500000), ("1048576", MIB),
    ("1.5MiB", 3 * MIB // 2), ("2GB", 2 * 1000 ** 3), (" 64KiB ", 65536),
])
def test_bwlimit_in_lxd_units(given, rate):
    assert copier.parse_bwlimit(given) == rate


@pytest.mark.parametrize("given", ["10 MiBs", "fast", "-1MiB", "10mib", "1e6"])
def test_a_bwlimit_that_is_no_rate_is_refused_with_the_forms(given):
    with pytest.raises(ValueError) as caught:
        copier.parse_bwlimit(given)
    assert repr(given) in str(caught.value) and "0 for no limit" in str(caught.value) and "10MiB" in str(caught.value)


@pytest.mark.parametrize("rate, kib", [(0, 0), (1, 1), (1024, 1), (1025, 2), (10 * MIB, 10240), (500000, 489)])
def test_rsync_takes_kib_rounded_up_and_never_zero_for_a_limit(rate, kib):
    assert copier.rsync_kib(rate) == kib


def test_rsync_command_line():
    assert copier.rsync_command("/a/src/", "/b/dst", 10 * MIB, True) == [
        "rsync", "-aHAX", "--numeric-ids", "--checksum", "--delete", "--info=progress2", "--no-inc-recursive", "--compress",
        "--bwlimit=10240", "/a/src/", "/b/dst/"]
    assert "--compress" not in copier.rsync_command("/a", "/b", 0, False)
    assert not [arg for arg in copier.rsync_command("/a", "/b", 0, True) if arg.startswith("--bwlimit")]


@pytest.mark.parametrize("line, parsed", [
    ("      1,048,576  45%   10.00MB/s    0:00:01 (xfr#3, to-chk=0/10)", (1048576, 45, 10 * MIB)),
    ("            512 100%    0.00kB/s    0:00:00", (512, 100, 0)),
    ("  2,147,483,648  99%    1.50GB/s    0:00:01", (2147483648, 99, int(1.5 * 1024 * MIB))),
    ("sending incremental file list", None),
])
def test_rsync_progress2_lines(line, parsed):
    assert copier.parse_progress2(line) == parsed


def make_tree(root, seed):
    """Six entries: a file and its hard link, a folder in a folder, a private file and a link to it."""
    os.makedirs(os.path.join(root, "sub", "deeper"))
    with open(os.path.join(root, "a.bin"), "wb") as handle:
        handle.write(os.urandom(600 * 1024) + seed)
    with open(os.path.join(root, "sub", "deeper", "b.txt"), "w") as handle:
        handle.write("b")
    os.link(os.path.join(root, "a.bin"), os.path.join(root, "sub", "hard.bin"))
    os.symlink("deeper/b.txt", os.path.join(root, "sub", "link"))
    os.chmod(os.path.join(root, "sub", "deeper", "b.txt"), 0o600)


def test_rsync_copies_a_tree_equal_and_the_checksum_sees_each_kind_of_difference(tmp_path):
    source, destination = str(tmp_path / "src"), str(tmp_path / "dst")
    make_tree(source, b"x")
    os.makedirs(os.path.join(destination, "stale"))
    progress = copier.Progress(str(tmp_path / "progress.json"), "volume")
    returncode, stderr = copier.run_rsync(copier.rsync_command(source, destination, 0, True), progress)
    assert returncode == 0, stderr
    assert copier.tree_checksum(source) == copier.tree_checksum(destination)
    assert copier.tree_checksum(source)["files"] == 6 and progress.state["bytes"] >= 600 * 1024
    assert os.stat(os.path.join(destination, "a.bin")).st_ino == os.stat(os.path.join(destination, "sub", "hard.bin")).st_ino
    first = copier.tree_checksum(destination)["checksum"]
    for change in (lambda: os.chmod(os.path.join(destination, "sub", "deeper", "b.txt"), 0o644),
                   lambda: open(os.path.join(destination, "sub", "deeper", "b.txt"), "w").write("c"),
                   lambda: os.remove(os.path.join(destination, "sub", "link")),
                   lambda: os.mkdir(os.path.join(destination, "extra"))):
        change()
        assert copier.tree_checksum(destination)["checksum"] != first
        first = copier.tree_checksum(destination)["checksum"]


def test_rsync_bwlimit_really_slows_the_copy(tmp_path):
    """1 MiB at 256 KiB/s takes about 4 s; unlimited, a fraction of a second. Margins are generous:
    at least half the expected time limited, under a quarter of it unlimited."""
    source = str(tmp_path / "src")
    os.makedirs(source)
    with open(os.path.join(source, "data.bin"), "wb") as handle:
        handle.write(os.urandom(MIB))
    timings = {}
    for rate in (0, 256 * 1024):
        destination = str(tmp_path / ("dst%d" % rate))
        started = time.monotonic()
        returncode, stderr = copier.run_rsync(copier.rsync_command(source, destination, rate, False))
        timings[rate] = time.monotonic() - started
        assert returncode == 0, stderr
    assert timings[256 * 1024] >= 2.0 and timings[0] < 1.0, timings


def test_block_copy_rate_limit_against_the_clock(tmp_path):
    """4 MiB at 4 MiB/s: about 1 s (at least 0.8 s); without a limit far less; equal bytes either way."""
    source, destination = tmp_path / "source.img", tmp_path / "destination.img"
    source.write_bytes(os.urandom(4 * MIB))
    destination.write_bytes(b"\0" * (5 * MIB))
    timings = {}
    for rate in (0, 4 * MIB):
        progress = copier.Progress(str(tmp_path / "progress.json"), "block", total=4 * MIB)
        started = time.monotonic()
        assert copier.copy_block(str(source), str(destination), rate, progress) == 4 * MIB
        timings[rate] = time.monotonic() - started
        assert progress.state["bytes"] == 4 * MIB
    assert timings[4 * MIB] >= 0.8 and timings[0] < 0.4, timings
    assert copier.device_checksum(str(source), 4 * MIB) == copier.device_checksum(str(destination), 4 * MIB)
    assert destination.read_bytes()[4 * MIB:] == b"\0" * MIB, "the copy wrote past the source's end"


def test_block_copy_paces_each_chunk_by_the_clock(tmp_path):
    """With a fake clock that never moves, the sleeps alone add up to size / rate."""
    source, destination = tmp_path / "source.img", tmp_path / "destination.img"
    source.write_bytes(b"\1" * (MIB // 2))
    destination.write_bytes(b"\0" * MIB)
    slept = []
    copier.copy_block(str(source), str(destination), 100 * 1024, clock=lambda: 0.0, sleep=slept.append)
    assert len(slept) > 10 and slept[-1] == pytest.approx((MIB // 2) / (100 * 1024.0))


def test_block_copy_refuses_a_smaller_destination(tmp_path):
    source, destination = tmp_path / "source.img", tmp_path / "destination.img"
    source.write_bytes(b"\1" * MIB)
    destination.write_bytes(b"\0" * (MIB - 1))
    with pytest.raises(copier.CopyError, match="smaller than"):
        copier.copy_block(str(source), str(destination))
    assert destination.read_bytes() == b"\0" * (MIB - 1)


def test_progress_file_and_its_reader(tmp_path):
    path = str(tmp_path / "progress.json")
    now = [100.0]
    progress = copier.Progress(path, "snapshot snap0", total=8 * MIB, clock=lambda: now[0], wall=lambda: 1000.0)
    assert copier.read_progress(path) is None
    now[0] = 102.0
    progress.update(2 * MIB, force=True)
    state = copier.read_progress(path, clock=lambda: 1001.0)
    assert (state["bytes"], state["percent"], state["rate"], state["finished"], state["stale"]) == (2 * MIB, 25, MIB, False, False)
    assert state["message"] == "snapshot snap0: 2.0MiB of 8.0MiB (25%) at 1.0MiB/s, 2.0 s"
    assert copier.read_progress(path, clock=lambda: 1000.0 + copier.STALE_SECONDS + 1)["stale"]
    progress.finish(failed=True, msg="rsync exited 23")
    assert copier.read_progress(path)["message"].endswith(", failed: rsync exited 23")
    assert copier.wait_progress(path, 30)["finished"], "a finished copy is reported at once"


def test_rsync_copies_a_file_of_the_same_size_and_time_whose_content_changed(tmp_path):
    """The destination holds the previous snapshot: rsync's quick check alone would keep its file."""
    source, destination = tmp_path / "src", tmp_path / "dst"
    source.mkdir()
    destination.mkdir()
    (source / "state.txt").write_text("snap1")
    (destination / "state.txt").write_text("snap0")
    for path in (source / "state.txt", destination / "state.txt"):
        os.utime(str(path), (1700000000, 1700000000))
    returncode, stderr = copier.run_rsync(copier.rsync_command(str(source), str(destination), 0, False))
    assert returncode == 0, stderr
    assert (destination / "state.txt").read_text() == "snap1"
