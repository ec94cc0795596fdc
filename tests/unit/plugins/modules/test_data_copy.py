# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""alletra_data_copy and alletra_data_copy_info in-process: a copy verified by checksums, its progress
read back, and bad input refused before anything is copied (the copier itself: test_copier.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from conftest import run_in_process

MIB = 1024 * 1024


def make_tree(root):
    os.makedirs(os.path.join(root, "sub"))
    with open(os.path.join(root, "sub", "data.bin"), "wb") as handle:
        handle.write(os.urandom(300 * 1024))
    os.symlink("sub/data.bin", os.path.join(root, "link"))


def test_the_modules_copy_verify_and_report_progress(tmp_path):
    source, destination = str(tmp_path / "src"), str(tmp_path / "dst")
    make_tree(source)
    os.makedirs(destination)
    progress_file = str(tmp_path / "progress.json")
    checked = run_in_process("alletra_data_copy", dict(source=source, destination=destination), check=True)
    assert checked["changed"] and not os.listdir(destination)
    copied = run_in_process("alletra_data_copy", dict(source=source, destination=destination, bwlimit="100MiB",
                                                      progress_file=progress_file, label="volume data01"))
    assert not copied.get("failed"), copied
    assert copied["verified"] and copied["checksum"]["source"] == copied["checksum"]["destination"]
    assert copied["files"] == 3 and "--bwlimit=102400" in copied["command"]
    read = run_in_process("alletra_data_copy_info", dict(progress_file=progress_file, wait=5))
    assert read["progress"]["finished"] and read["progress"]["message"].startswith("volume data01: ")
    assert read["progress"]["message"].endswith(", done") and " at " in read["progress"]["message"]

    image = tmp_path / "block.img"
    image.write_bytes(os.urandom(MIB))
    small = tmp_path / "small.img"
    small.write_bytes(b"\0" * 1000)
    refused = run_in_process("alletra_data_copy", dict(source=str(image), destination=str(small), content_type="block",
                                                       progress_file=progress_file, label="volume b"))
    assert refused["failed"] and "smaller than" in refused["msg"] and refused["msg"].startswith("volume b: ")
    with open(progress_file) as handle:
        assert json.load(handle)["failed"]


@pytest.mark.parametrize("args, words", [
    (dict(bwlimit="ten"), ["bwlimit: 'ten' is not a rate", "10MiB"]),
    (dict(content_type="block"), ["source:", "is not a block device"]),
    (dict(source="/nonexistent/alletra"), ["source: /nonexistent/alletra does not exist"]),
    (dict(destination="SRC"), ["destination:", "is the source itself"]),
])
def test_bad_input_fails_before_anything_is_copied(tmp_path, args, words):
    source, destination = tmp_path / "src", tmp_path / "dst"
    source.mkdir()
    destination.mkdir()
    (source / "kept").write_text("x")
    given = dict(dict(source=str(source), destination=str(destination)), **args)
    if given["destination"] == "SRC":
        given["destination"] = str(source)
    result = run_in_process("alletra_data_copy", given)
    assert result["failed"] and all(word in result["msg"] for word in words), result["msg"]
    assert os.listdir(str(destination)) == []


def test_a_destination_that_holds_data_is_refused_unless_forced(tmp_path):
    source, destination = tmp_path / "src", tmp_path / "dst"
    make_tree(str(source))
    (destination / "lost+found").mkdir(parents=True)
    (destination / "precious.txt").write_text("only here\n")
    refused = run_in_process("alletra_data_copy", dict(source=str(source), destination=str(destination)))
    assert refused["failed"] and "destination: %s holds data (precious.txt)" % destination in refused["msg"], refused["msg"]
    assert "rsync --delete" in refused["msg"] and "force: true" in refused["msg"]
    assert (destination / "precious.txt").read_text() == "only here\n"
    nested = run_in_process("alletra_data_copy", dict(source=str(source), destination=str(source / "sub")))
    assert nested["failed"] and "inside one another" in nested["msg"], nested["msg"]
    # lost+found alone is an empty filesystem; force overwrites, and rsync --delete removes what only the destination had.
    (destination / "precious.txt").unlink()
    assert not run_in_process("alletra_data_copy", dict(source=str(source), destination=str(destination))).get("failed")
    (destination / "extra.txt").write_text("goes\n")
    forced = run_in_process("alletra_data_copy", dict(source=str(source), destination=str(destination), force=True))
    assert forced["verified"] and not (destination / "extra.txt").exists()

    image, disk = tmp_path / "source.img", tmp_path / "disk.img"
    image.write_bytes(os.urandom(2 * MIB))
    disk.write_bytes(b"\0" * (MIB + 510) + b"\x55\xaa" + b"\0" * (MIB - 512))  # a signature past the first MiB: empty
    assert run_in_process("alletra_data_copy", dict(source=str(image), destination=str(disk), content_type="block"))["verified"]
    refused = run_in_process("alletra_data_copy", dict(source=str(image), destination=str(disk), content_type="block"))
    assert refused["failed"] and "holds data (data in its first MiB)" in refused["msg"] and "device, or force: true" in refused["msg"]
    assert run_in_process("alletra_data_copy", dict(source=str(image), destination=str(disk), content_type="block", force=True))["verified"]
