# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import random
import re
import uuid

import pytest

from ansible_collections.alletra.storage.plugins.module_utils import naming

EXAMPLE_UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
H = "5a2504b06a6c48498ee7ddb0b674fd14"
# base32 of the example UUID's 16 bytes, worked out by hand from RFC 4648's alphabet.
H32 = "lisqjmdknreetdxh3wylm5h5cq"

VALID_COMBINATIONS = [
    ("container", "filesystem"),
    ("virtual-machine", "filesystem"),
    ("virtual-machine", "block"),
    ("image", "filesystem"),
    ("image", "block"),
    ("custom", "filesystem"),
    ("custom", "block"),
    ("custom", "iso"),
]
INVALID_COMBINATIONS = [
    ("container", "block"),
    ("container", "iso"),
    ("virtual-machine", "iso"),
    ("image", "iso"),
]

# A fixed generator: the same "random" UUIDs on every run, so a failure can be reproduced.
RNG = random.Random(20260822)
RANDOM_UUIDS = [uuid.UUID(int=RNG.getrandbits(128), version=4) for dummy in range(300)]


# --- LXD's documented names ------------------------------------------------------------------


@pytest.mark.parametrize("volume_type, content_type, snapshot, expected, length", [
    # Every row of the table in lxd-alletra-driver.md section 2.
    ("container", "filesystem", False, "c-" + H, 34),
    ("virtual-machine", "block", False, "v-" + H + "-b", 36),
    ("virtual-machine", "filesystem", False, "v-" + H, 34),
    ("image", "filesystem", False, "i-" + H, 34),
    ("image", "block", False, "i-" + H + "-b", 36),
    ("custom", "filesystem", False, "u-" + H, 34),
    ("custom", "block", False, "u-" + H + "-b", 36),
    ("custom", "iso", False, "u-" + H + "-i", 36),
    ("container", "filesystem", True, "sc-" + H, 35),
    ("virtual-machine", "block", True, "sv-" + H + "-b", 37),
    # The rows of doc/reference/storage_alletra.md not above: the custom volume snapshot.
    ("custom", "filesystem", True, "su-" + H, 35),
])
def test_lxd_documented_names(volume_type, content_type, snapshot, expected, length):
    name = naming.volume_name(volume_type, content_type, EXAMPLE_UUID, snapshot=snapshot)
    assert name == expected
    assert len(name) == length
    assert naming.decode_name(expected) == dict(
        volume_type=volume_type, content_type=content_type, uuid=EXAMPLE_UUID, snapshot=snapshot, scheme="lxd")


def test_lxd_docs_image_iso_row_is_refused():
    """LXD's docs show an image ISO volume as i-...-i; ISO volumes are custom volumes (u-...-i)."""
    with pytest.raises(ValueError, match="only for custom volumes"):
        naming.volume_name("image", "iso", EXAMPLE_UUID)
    assert naming.decode_name("i-" + H + "-i") is None


def test_default_scheme_is_lxd():
    assert naming.volume_name("virtual-machine", "block", EXAMPLE_UUID) == "v-" + H + "-b"


@pytest.mark.parametrize("volume_type, content_type, snapshot, expected", [
    ("custom", "filesystem", False, "u-" + H32),
    ("container", "filesystem", True, "sc-" + H32),
    ("virtual-machine", "block", False, "v-" + H32 + "-b"),
    ("virtual-machine", "block", True, "sv-" + H32 + "-b"),
    ("custom", "iso", True, "su-" + H32 + "-i"),
])
def test_compact_names(volume_type, content_type, snapshot, expected):
    assert naming.volume_name(volume_type, content_type, EXAMPLE_UUID, snapshot=snapshot, scheme="compact") == expected


@pytest.mark.parametrize("value, body", [
    ("00000000-0000-0000-0000-000000000000", "a" * 26),
    # 128 one-bits: 25 characters of 11111 ('7'), then 111 padded with 00 (28, '4').
    ("ffffffff-ffff-ffff-ffff-ffffffffffff", "7" * 25 + "4"),
])
def test_compact_extreme_uuids(value, body):
    assert naming.volume_name("custom", "filesystem", value, scheme="compact") == "u-" + body
    assert naming.decode_name("u-" + body)["uuid"] == value


def test_longest_compact_name_is_exactly_31():
    name = naming.volume_name("virtual-machine", "block", EXAMPLE_UUID, snapshot=True, scheme="compact")
    assert len(name) == 31 == naming.max_name_length("compact")


# --- UUID input -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    EXAMPLE_UUID,
    EXAMPLE_UUID.upper(),
    H,
    H.upper(),
    "5A2504b0-6a6C-4849-8EE7-ddb0b674FD14",
    uuid.UUID(EXAMPLE_UUID),
])
def test_uuid_forms(value):
    assert naming.volume_name("container", "filesystem", value) == "c-" + H


@pytest.mark.parametrize("value", [
    "",
    "5a2504b0-6a6c-4849-8ee7-ddb0b674fd1",
    "5a2504b0-6a6c-4849-8ee7-ddb0b674fd145",
    "5a2504b06a6c48498ee7ddb0b674fd1g",
    "5a2504b0-6a6c48498ee7ddb0b674fd14",
    "5a2504b06a6c-4849-8ee7-ddb0b674fd14",
    "{5a2504b0-6a6c-4849-8ee7-ddb0b674fd14}",
    "urn:uuid:5a2504b0-6a6c-4849-8ee7-ddb0b674fd14",
    " 5a2504b0-6a6c-4849-8ee7-ddb0b674fd14",
    "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14\n",
    "5a2504b0_6a6c_4849_8ee7_ddb0b674fd14",
    None,
    12345,
    b"5a2504b06a6c48498ee7ddb0b674fd14",
])
def test_bad_uuids_are_refused_and_quoted(value):
    with pytest.raises(ValueError) as raised:
        naming.volume_name("custom", "filesystem", value)
    assert repr(value) in str(raised.value)
    assert "UUID" in str(raised.value)


# --- type and content validation -------------------------------------------------------------


@pytest.mark.parametrize("volume_type, content_type", INVALID_COMBINATIONS)
@pytest.mark.parametrize("scheme", naming.SCHEMES)
def test_invalid_combinations_are_refused(volume_type, content_type, scheme):
    with pytest.raises(ValueError) as raised:
        naming.volume_name(volume_type, content_type, EXAMPLE_UUID, scheme=scheme)
    message = str(raised.value)
    assert repr(volume_type) in message or repr(content_type) in message
    if content_type == "iso":
        assert "only for custom volumes" in message


@pytest.mark.parametrize("volume_type, content_type, snapshot, scheme, fragment", [
    ("vm", "block", False, "lxd", "'vm' is not one of container, custom, image, virtual-machine"),
    ("Container", "filesystem", False, "lxd", "'Container'"),
    ("custom", "fs", False, "lxd", "'fs' is not one of block, filesystem, iso"),
    ("custom", None, False, "lxd", "None"),
    (["custom"], "filesystem", False, "lxd", "['custom']"),
    ("custom", {"block": 1}, False, "lxd", "{'block': 1}"),
    ("custom", "filesystem", "yes", "lxd", "'yes'"),
    ("custom", "filesystem", False, "base32", "'base32' is not one of lxd, compact"),
    ("custom", "filesystem", False, "auto", "'auto'"),
])
def test_bad_arguments_are_refused(volume_type, content_type, snapshot, scheme, fragment):
    with pytest.raises(ValueError) as raised:
        naming.volume_name(volume_type, content_type, EXAMPLE_UUID, snapshot=snapshot, scheme=scheme)
    assert fragment in str(raised.value)


def test_type_and_content_tables():
    assert naming.VOLUME_TYPES == {"container": "c", "virtual-machine": "v", "image": "i", "custom": "u"}
    assert naming.CONTENT_TYPES == {"filesystem": "", "block": "b", "iso": "i"}


# --- round trips and lengths ----------------------------------------------------------------


@pytest.mark.parametrize("scheme", naming.SCHEMES)
@pytest.mark.parametrize("snapshot", [False, True])
@pytest.mark.parametrize("volume_type, content_type", VALID_COMBINATIONS)
def test_round_trip(volume_type, content_type, snapshot, scheme):
    lengths = set()
    for value in RANDOM_UUIDS:
        name = naming.volume_name(volume_type, content_type, value, snapshot=snapshot, scheme=scheme)
        assert naming.decode_name(name) == dict(
            volume_type=volume_type, content_type=content_type, uuid=str(value), snapshot=snapshot, scheme=scheme)
        assert naming.valid_array_name(name, naming.max_name_length(scheme))
        lengths.add(len(name))
    body = 32 if scheme == "lxd" else 26
    assert lengths == {2 + body + (2 if content_type != "filesystem" else 0) + (1 if snapshot else 0)}


@pytest.mark.parametrize("value", RANDOM_UUIDS[:50])
def test_every_identity_has_its_own_name(value):
    names = set()
    for scheme in naming.SCHEMES:
        for volume_type, content_type in VALID_COMBINATIONS:
            for snapshot in (False, True):
                names.add(naming.volume_name(volume_type, content_type, value, snapshot=snapshot, scheme=scheme))
    assert len(names) == 2 * 2 * len(VALID_COMBINATIONS)


def test_lxd_names_are_34_to_37_characters():
    lengths = set(
        len(naming.volume_name(volume_type, content_type, EXAMPLE_UUID, snapshot=snapshot))
        for volume_type, content_type in VALID_COMBINATIONS for snapshot in (False, True))
    assert lengths == {34, 35, 36, 37}


def test_compact_names_fit_31_characters():
    lengths = set(
        len(naming.volume_name(volume_type, content_type, value, snapshot=snapshot, scheme="compact"))
        for value in RANDOM_UUIDS[:20] for volume_type, content_type in VALID_COMBINATIONS for snapshot in (False, True))
    assert lengths == {28, 29, 30, 31}


@pytest.mark.parametrize("scheme, length", [("lxd", 37), ("compact", 31)])
def test_max_name_length(scheme, length):
    assert naming.max_name_length(scheme) == length


@pytest.mark.parametrize("scheme", ["auto", "", None, "LXD"])
def test_max_name_length_of_unknown_scheme(scheme):
    with pytest.raises(ValueError, match=re.escape(repr(scheme))):
        naming.max_name_length(scheme)


# --- strict decoding ------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "",
    "c-",
    "c-" + H[:-1],
    "c-" + H + "0",
    "c-" + H.upper(),
    "C-" + H,
    "c-" + EXAMPLE_UUID,
    "x-" + H,
    "ss-" + H,
    "ssc-" + H,
    "sc" + H,
    "c" + H,
    "c_" + H,
    "u-" + H + "-",
    "u-" + H + "-x",
    "u-" + H + "-B",
    "u-" + H + "-bb",
    "u-" + H + "b",
    "u-" + H + "-b-i",
    " c-" + H,
    "c-" + H + " ",
    "c-" + H + "\n",
    "c-" + H + "-b",
    "sc-" + H + "-i",
    "v-" + H + "-i",
    "i-" + H + "-i",
    "u-" + H32[:-1],
    "u-" + H32 + "a",
    "u-" + H32.upper(),
    "u-" + H32[:-1] + "b",
    "u-" + H32[:-1] + "7",
    "u-" + "0" * 26,
    "u-" + "a" * 24 + "18",
    "u-" + "abcdefghijklmnopqrstuvwxyz234567",
    "u-" + H32 + "=====",
    "lxd-reverter-snapshot",
    "vol1",
    "c-abc",
    ".srdata",
    "admin",
])
def test_foreign_names_do_not_decode(name):
    assert naming.decode_name(name) is None


@pytest.mark.parametrize("name", [None, 42, b"c-" + H.encode(), ["c-" + H]])
def test_non_strings_do_not_decode(name):
    assert naming.decode_name(name) is None


def test_only_canonical_base32_decodes():
    """A 26-character body carries 130 bits; only bodies whose last two bits are zero are ours."""
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    rng = random.Random(7)
    decoded_last = set()
    for dummy in range(2000):
        body = "".join(rng.choice(alphabet) for dummy in range(26))
        identity = naming.decode_name("u-" + body)
        if identity is not None:
            decoded_last.add(body[-1])
            assert naming.volume_name("custom", "filesystem", identity["uuid"], scheme="compact") == "u-" + body
        else:
            assert body[-1] not in "aeimquy4"
    assert decoded_last == set("aeimquy4")


def test_hex_bodies_of_other_lengths_never_decode():
    rng = random.Random(11)
    for dummy in range(2000):
        length = rng.choice([25, 27, 31, 33])
        body = "".join(rng.choice("0123456789abcdef") for dummy in range(length))
        assert naming.decode_name("c-" + body) is None


# --- choosing a scheme ----------------------------------------------------------------------


@pytest.mark.parametrize("version, scheme", [
    ("10.4.1", "lxd"),
    ("10.0.0", "lxd"),
    ("10", "lxd"),
    ("11.2.0.MU3", "lxd"),
    ("100.1", "lxd"),
    (10, "lxd"),
    ("9.9.9", "compact"),
    ("4.5.3.MU1", "compact"),
    ("4.2.0", "compact"),
    ("3.3.1", "compact"),
    ("1.0", "compact"),
    ("", "compact"),
    ("unknown", "compact"),
    ("v10.1", "compact"),
    ("1O.2", "compact"),
    (None, "compact"),
    (4, "compact"),
])
def test_choose_scheme(version, scheme):
    assert naming.choose_scheme(version) == scheme


# --- array names ----------------------------------------------------------------------------


@pytest.mark.parametrize("name, max_length, valid", [
    ("vol1", None, True),
    ("my.volume_2-b", None, True),
    ("_x", None, True),
    ("c-" + H, 31, False),
    ("c-" + H, 34, True),
    ("-vol", None, False),
    ("", None, False),
    ("vol 1", None, False),
    ("vol/1", None, False),
    ("vol1\n", None, False),
    ("välj", None, False),
    (None, None, False),
    (12, None, False),
])
def test_valid_array_name(name, max_length, valid):
    assert naming.valid_array_name(name, max_length) is valid


# --- sizes ----------------------------------------------------------------------------------

KIB, MIB, GIB, TIB, PIB, EIB = (1024 ** power for power in range(1, 7))


@pytest.mark.parametrize("value, size_bytes", [
    ("1073741824", 1073741824),
    ("1", 1),
    ("1024B", 1024),
    ("10 bytes", 10),
    ("2kB", 2000),
    ("2KB", 2000),
    ("3MB", 3 * 10 ** 6),
    ("10GB", 10 * 10 ** 9),
    ("1TB", 10 ** 12),
    ("1PB", 10 ** 15),
    ("1EB", 10 ** 18),
    ("2KiB", 2 * KIB),
    ("3MiB", 3 * MIB),
    ("10GiB", 10 * GIB),
    ("1TiB", TIB),
    ("1PiB", PIB),
    ("1EiB", EIB),
    ("7EiB", 7 * EIB),
    ("1.5TiB", TIB + TIB // 2),
    ("0.5KiB", 512),
    (".5KiB", 512),
    ("2.25GiB", 2 * GIB + GIB // 4),
    ("1.5GB", 1500000000),
    ("10 GiB", 10 * GIB),
    ("512 MiB", 512 * MIB),
    ("  10GiB  ", 10 * GIB),
    ("0.1B", 1),
    ("1.0000001B", 2),
    ("1.0000001KiB", 1025),
    (4096, 4096),
    (1, 1),
    (4096.0, 4096),
    (2 ** 63 - 1, 2 ** 63 - 1),
])
def test_parse_size(value, size_bytes):
    assert naming.parse_size(value) == size_bytes


@pytest.mark.parametrize("value", [
    "",
    " ",
    "0",
    "0B",
    "0GiB",
    "0.0MiB",
    "-1",
    "-1GiB",
    "+1GiB",
    "nan",
    "NaN",
    "inf",
    "Infinity",
    "-inf",
    float("nan"),
    float("inf"),
    float("-inf"),
    0,
    -1,
    -0.5,
    True,
    False,
    None,
    [],
    {"size": "10GiB"},
    "GiB",
    "10G",
    "10g",
    "10gib",
    "10GIB",
    "10gb",
    "10Gb",
    "10XiB",
    "10 GiB GiB",
    "10  GiB",
    "10\tGiB",
    "1e9",
    "1,5GiB",
    "1.GiB",
    "1..5GiB",
    "0x10",
    "1_000",
    "８GiB",
    "8EiB",
    "10000PiB",
    2 ** 63,
])
def test_bad_sizes_are_refused_and_quoted(value):
    with pytest.raises(ValueError) as raised:
        naming.parse_size(value)
    message = str(raised.value)
    assert repr(value) in message
    if "too large" not in message:
        for form in ("'10GiB'", "'512MiB'", "'1.5TiB'", "'10GB'", "bytes"):
            assert form in message


@pytest.mark.parametrize("value, mib", [
    ("700MiB", 768),
    ("1", 256),
    (None, 10240),
    ("256MiB", 256),
    (256 * MIB, 256),
    (256 * MIB + 1, 512),
    (256 * MIB - 1, 256),
    ("512MiB", 512),
    ("513MiB", 768),
    ("768MiB", 768),
    ("1GiB", 1024),
    ("10GiB", 10240),
    ("10GB", 9728),
    ("1.5TiB", 1572864),
    ("1KiB", 256),
    (1, 256),
])
def test_size_to_mib(value, mib):
    assert naming.size_to_mib(value) == mib


def test_size_to_mib_default():
    assert naming.size_to_mib(None, default="1GiB") == 1024
    assert naming.size_to_mib("512MiB", default="1GiB") == 512


@pytest.mark.parametrize("value", ["0", 0, 0.0, "0GiB", "0 B", "0.0MiB"])
def test_a_size_of_zero_is_the_default_as_in_lxd(value):
    assert naming.is_zero_size(value)
    assert naming.size_to_mib(value) == 10240 and naming.size_to_mib(value, default="1GiB") == 1024


@pytest.mark.parametrize("value", [False, "", "0XB", "-0", "1", None, []])
def test_only_a_size_of_zero_is_zero(value):
    assert not naming.is_zero_size(value)


@pytest.mark.parametrize("value", ["", "-1GiB", "10G", "0XB"])
def test_size_to_mib_refuses_bad_sizes(value):
    with pytest.raises(ValueError, match=re.escape(repr(value))):
        naming.size_to_mib(value)


def test_size_to_mib_is_the_smallest_fitting_multiple_of_256():
    rng = random.Random(3)
    for dummy in range(3000):
        size_bytes = rng.randint(1, 64 * TIB)
        mib = naming.size_to_mib(size_bytes)
        assert mib % 256 == 0
        assert mib * MIB >= size_bytes
        assert mib == 256 or (mib - 256) * MIB < size_bytes


@pytest.mark.parametrize("mib, text", [
    (10240, "10GiB"),
    (768, "768MiB"),
    (256, "256MiB"),
    (1, "1MiB"),
    (1024, "1GiB"),
    (1536, "1536MiB"),
    (1024 * 1024, "1TiB"),
    (3 * 1024 * 1024 + 1024, "3073GiB"),
    (1024 ** 3, "1PiB"),
    (1024 ** 4, "1EiB"),
    (0, "0MiB"),
])
def test_format_mib(mib, text):
    assert naming.format_mib(mib) == text


@pytest.mark.parametrize("mib", [-1, 1.5, 256.0, "10", None, True])
def test_format_mib_refuses_non_mib(mib):
    with pytest.raises(ValueError, match=re.escape(repr(mib))):
        naming.format_mib(mib)


def test_format_mib_parses_back():
    rng = random.Random(5)
    for dummy in range(2000):
        mib = rng.choice([rng.randint(1, 10 ** 7), 256 * rng.randint(1, 4096), 1024 * rng.randint(1, 4096)])
        assert naming.parse_size(naming.format_mib(mib)) == mib * MIB


# --- snapshot expiry ------------------------------------------------------------------------

NOW = datetime.datetime(2026, 8, 22, 12, 0, 0)


@pytest.mark.parametrize("expr, hours", [
    ("1H", 1),
    ("25H", 25),
    ("1d", 24),
    ("2w", 336),
    ("1w 1d", 192),
    ("1d 3H 30M", 28),
    ("30M", 1),
    ("60M", 1),
    ("61M", 2),
    ("1S", 1),
    ("3600S", 1),
    ("3601S", 2),
    ("0d 1H", 1),
    ("  2d  ", 48),
    ("1H 1d", 25),
    ("1m", 31 * 24),
    ("1y", 365 * 24),
])
def test_expiry_to_hours(expr, hours):
    assert naming.expiry_to_hours(expr, now=NOW) == hours


@pytest.mark.parametrize("now, expr, hours", [
    # Months and years are calendar ones, normalised as Go's time.AddDate does.
    (datetime.datetime(2023, 1, 31), "1m", 31 * 24),
    (datetime.datetime(2023, 2, 1), "1m", 28 * 24),
    (datetime.datetime(2024, 2, 1), "1m", 29 * 24),
    (datetime.datetime(2023, 4, 1), "1m", 30 * 24),
    (datetime.datetime(2023, 11, 15), "2m", 61 * 24),
    (datetime.datetime(2023, 12, 31), "2m", 62 * 24),
    (datetime.datetime(2023, 1, 1), "1y", 365 * 24),
    (datetime.datetime(2023, 3, 1), "1y", 366 * 24),
    (datetime.datetime(2024, 2, 29), "1y", 366 * 24),
    (datetime.datetime(2023, 1, 1), "1y 1m", 396 * 24),
    (datetime.datetime(2023, 1, 1, 23, 59, 59), "1S", 1),
    (datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc), "1m 1d", 32 * 24),
])
def test_expiry_months_and_years(now, expr, hours):
    assert naming.expiry_to_hours(expr, now=now) == hours


def test_expiry_defaults_to_now():
    assert naming.expiry_to_hours("2w") == 336
    assert 28 * 24 <= naming.expiry_to_hours("1m") <= 31 * 24


@pytest.mark.parametrize("expr", [None, "", "   "])
def test_no_expiry(expr):
    assert naming.expiry_to_hours(expr, now=NOW) is None


@pytest.mark.parametrize("expr, fragment", [
    ("1", "term '1' is not valid"),
    ("d", "term 'd' is not valid"),
    ("1x", "term '1x' is not valid"),
    ("1D", "term '1D' is not valid"),
    ("1h", "term '1h' is not valid"),
    ("-1d", "term '-1d' is not valid"),
    ("1.5d", "term '1.5d' is not valid"),
    ("1d1H", "term '1d1H' is not valid"),
    ("1 d", "term '1' is not valid"),
    ("1d,2H", "is not valid"),
    ("1d 2d", "gives the unit 'd' more than once"),
    ("0d 1d", "more than once"),
    ("0d", "is zero"),
    ("0H 0M", "is zero"),
    ("99999y", "too far"),
    ("999999999999999999999d", "too far"),
    (5, "is not an expiry expression"),
])
def test_bad_expiry_is_refused_and_quoted(expr, fragment):
    with pytest.raises(ValueError) as raised:
        naming.expiry_to_hours(expr, now=NOW)
    assert repr(expr) in str(raised.value)
    assert fragment in str(raised.value)


# --- snapshot pattern numbering -------------------------------------------------------------


@pytest.mark.parametrize("pattern, existing, expected", [
    ("snap%d", [], 0),
    ("snap%d", None, 0),
    ("snap%d", ["snap0"], 1),
    ("snap%d", ["snap0", "snap1", "snap2"], 3),
    ("snap%d", ["snap0", "snap5"], 6),
    ("snap%d", ["snap5", "snap0"], 6),
    ("snap%d", ["snap3", "snap3"], 4),
    ("snap%d", ["other", "backup3", "daily"], 0),
    ("snap%d", ["snap2", "snapshot9", "snap"], 3),
    ("snap%d", ["snap007"], 8),
    ("snap%d", ["SNAP9"], 0),
    ("snap%d", ["xsnap9"], 0),
    # As Go's fmt.Sscanf: text after the whole pattern is ignored, signed numbers are read.
    ("snap%d", ["snap3-old"], 4),
    ("snap%d", ["snap-7"], 0),
    ("snap%d", ["snap+4"], 5),
    ("snap%d", ["snap99999999999999999999", "snap2"], 3),
    ("snap%d", [None, 42, "snap1"], 2),
    ("%d-daily", ["1-daily", "5-weekly", "3-daily"], 4),
    ("daily-%d-x", ["daily-4-x", "daily-9", "daily-7-y"], 5),
    ("%d", ["4", "a7", "12b"], 13),
    ("backup", ["backup"], 0),
])
def test_snapshot_pattern_next(pattern, existing, expected):
    assert naming.snapshot_pattern_next(pattern, existing) == expected


def test_snapshot_pattern_next_accepts_any_iterable():
    assert naming.snapshot_pattern_next("snap%d", (name for name in ["snap1", "snap4"])) == 5


@pytest.mark.parametrize("pattern, fragment", [
    ("snap%d-%d", "may contain '%d' only once"),
    (None, "is not a string"),
    (3, "is not a string"),
])
def test_bad_snapshot_patterns(pattern, fragment):
    with pytest.raises(ValueError) as raised:
        naming.snapshot_pattern_next(pattern, ["snap1"])
    assert repr(pattern) in str(raised.value)
    assert fragment in str(raised.value)
