# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Array names, sizes and snapshot rules as LXD's ``alletra`` driver has them.

Pure Python with no imports beyond the standard library: it runs on the target host
and in filter plugins on the controller.

Names
    ``[s]<t>-<uuid>[-b|-i]`` where ``<t>`` is the volume type letter, ``s`` marks a snapshot
    (named from its own UUID) and the suffix is the content type. Scheme ``lxd`` writes the
    UUID as 32 lowercase hex digits, exactly as LXD does (34 to 37 characters). Scheme
    ``compact`` writes its 16 bytes in lowercase RFC 4648 base32 without padding
    (26 characters), so every name fits the 31 characters of older arrays.

Sizes
    LXD's size strings (``10GiB``, ``1GB``, bytes) and the array's rule: volumes are whole
    multiples of 256 MiB, at least 256 MiB, rounded up.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import math
import re
import uuid as uuid_lib
from fractions import Fraction

SCHEME_LXD = "lxd"
SCHEME_COMPACT = "compact"
SCHEMES = (SCHEME_LXD, SCHEME_COMPACT)

VOLUME_TYPES = {
    "container": "c",
    "virtual-machine": "v",
    "image": "i",
    "custom": "u",
}
CONTENT_TYPES = {
    "filesystem": "",
    "block": "b",
    "iso": "i",
}
SNAPSHOT_PREFIX = "s"

_TYPE_OF_LETTER = dict((letter, name) for name, letter in VOLUME_TYPES.items())
_CONTENT_OF_SUFFIX = dict((suffix, name) for name, suffix in CONTENT_TYPES.items() if suffix)

# The array OS major version from which names longer than 31 characters are accepted (Alletra MP).
LONG_NAMES_MAJOR_VERSION = 10

_HEX_LENGTH = 32
_BASE32_LENGTH = 26
_NAME_RE = re.compile(
    r"^(?P<snapshot>s?)(?P<type>[cviu])-(?P<body>[0-9a-f]{32}|[a-z2-7]{26})(?:-(?P<content>[bi]))?\Z")
_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}(-?)[0-9a-fA-F]{4}\1[0-9a-fA-F]{4}\1[0-9a-fA-F]{4}\1[0-9a-fA-F]{12}\Z")
_ARRAY_NAME_RE = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._-]*\Z")

MIB = 1024 * 1024
ARRAY_GRANULARITY_MIB = 256
DEFAULT_SIZE = "10GiB"
# Sizes are int64 in LXD and on the array.
_MAX_BYTES = 2 ** 63 - 1

# LXD's shared/units: decimal units are powers of 1000, binary units powers of 1024.
# "KB" is not LXD's spelling (it writes "kB") but means the same and is accepted.
SIZE_UNITS = {
    "": 1,
    "B": 1,
    "bytes": 1,
    "kB": 1000,
    "KB": 1000,
    "MB": 1000 ** 2,
    "GB": 1000 ** 3,
    "TB": 1000 ** 4,
    "PB": 1000 ** 5,
    "EB": 1000 ** 6,
    "KiB": 1024,
    "MiB": 1024 ** 2,
    "GiB": 1024 ** 3,
    "TiB": 1024 ** 4,
    "PiB": 1024 ** 5,
    "EiB": 1024 ** 6,
}
_SIZE_RE = re.compile(r"^(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+) ?(?P<unit>[A-Za-z]*)\Z")
_SIZE_FORMS = ("'10GiB', '512MiB', '1.5TiB', '10GB' (decimal units are powers of 1000) "
               "or a number of bytes such as '1073741824'")
_MIB_UNITS = (("EiB", 1024 ** 4), ("PiB", 1024 ** 3), ("TiB", 1024 ** 2), ("GiB", 1024), ("MiB", 1))

_EXPIRY_TERM_RE = re.compile(r"^([0-9]+)([SMHdwmy])\Z")
_EXPIRY_FORMS = ("space-separated terms <number><unit> with the units S (seconds), M (minutes), H (hours), "
                 "d (days), w (weeks), m (months), y (years), for example '1d', '2w', '3H 30M'")

_GO_INT_MIN = -(2 ** 63)
_GO_INT_MAX = 2 ** 63 - 1


def parse_uuid(value):
    """``value`` (a uuid.UUID, or its text with or without hyphens, any case) as a uuid.UUID."""
    if isinstance(value, uuid_lib.UUID):
        return value
    if isinstance(value, str) and _UUID_RE.match(value):
        return uuid_lib.UUID(value)
    raise ValueError("%r is not a UUID: give 32 hex digits, with or without the hyphens "
                     "(for example '5a2504b0-6a6c-4849-8ee7-ddb0b674fd14')" % (value,))


def _check_combination(volume_type, content_type, snapshot):
    if not isinstance(volume_type, str) or volume_type not in VOLUME_TYPES:
        raise ValueError("volume type %r is not one of %s" % (volume_type, ", ".join(sorted(VOLUME_TYPES))))
    if not isinstance(content_type, str) or content_type not in CONTENT_TYPES:
        raise ValueError("content type %r is not one of %s" % (content_type, ", ".join(sorted(CONTENT_TYPES))))
    if content_type == "iso" and volume_type != "custom":
        raise ValueError("content type 'iso' is only for custom volumes, not for volume type %r" % (volume_type,))
    if volume_type == "container" and content_type != "filesystem":
        raise ValueError("a container volume has filesystem content, not %r" % (content_type,))
    if not isinstance(snapshot, bool):
        raise ValueError("snapshot must be true or false, not %r" % (snapshot,))


def _encode_uuid(value, scheme):
    if scheme == SCHEME_LXD:
        return value.hex
    return base64.b32encode(value.bytes).decode("ascii").rstrip("=").lower()


def _decode_body(body):
    """The UUID written as ``body`` and its scheme, or None when it is not a canonical encoding."""
    if len(body) == _HEX_LENGTH:
        return uuid_lib.UUID(hex=body), SCHEME_LXD
    try:
        raw = base64.b32decode(body.upper() + "======")
    except (TypeError, ValueError):
        return None
    value = uuid_lib.UUID(bytes=raw)
    # 26 characters carry 130 bits: only the canonical spelling (last two bits zero) is ours.
    if _encode_uuid(value, SCHEME_COMPACT) != body:
        return None
    return value, SCHEME_COMPACT


def volume_name(volume_type, content_type, uuid, snapshot=False, scheme=SCHEME_LXD):
    """The array name of an LXD volume, e.g. ``v-5a2504b06a6c48498ee7ddb0b674fd14-b``.

    A snapshot is named from its own UUID, not its parent's.
    """
    if scheme not in SCHEMES:
        raise ValueError("naming scheme %r is not one of %s" % (scheme, ", ".join(SCHEMES)))
    _check_combination(volume_type, content_type, snapshot)
    value = parse_uuid(uuid)
    name = VOLUME_TYPES[volume_type] + "-" + _encode_uuid(value, scheme)
    suffix = CONTENT_TYPES[content_type]
    if suffix:
        name += "-" + suffix
    if snapshot:
        name = SNAPSHOT_PREFIX + name
    return name


def decode_name(name):
    """What volume_name() built ``name`` from, or None if it is not a name of ours (either scheme).

    Returns a dict with volume_type, content_type, uuid (hyphenated lowercase), snapshot and scheme.
    """
    if not isinstance(name, str):
        return None
    match = _NAME_RE.match(name)
    if not match:
        return None
    decoded = _decode_body(match.group("body"))
    if decoded is None:
        return None
    value, scheme = decoded
    volume_type = _TYPE_OF_LETTER[match.group("type")]
    content_type = _CONTENT_OF_SUFFIX.get(match.group("content"), "filesystem")
    snapshot = bool(match.group("snapshot"))
    try:
        _check_combination(volume_type, content_type, snapshot)
    except ValueError:
        return None
    return dict(volume_type=volume_type, content_type=content_type, uuid=str(value), snapshot=snapshot, scheme=scheme)


def max_name_length(scheme):
    """The longest name volume_name() makes in ``scheme``: a VM block snapshot, ``sv-<uuid>-b``."""
    if scheme == SCHEME_LXD:
        return len("sv--b") + _HEX_LENGTH
    if scheme == SCHEME_COMPACT:
        return len("sv--b") + _BASE32_LENGTH
    raise ValueError("naming scheme %r is not one of %s" % (scheme, ", ".join(SCHEMES)))


def choose_scheme(system_version):
    """``lxd`` on an array OS 10 or newer (Alletra MP), else ``compact`` (31-character names).

    ``system_version`` is the array's ``systemVersion`` such as '10.4.1' or '4.5.3.MU1';
    anything without a leading major number gets the scheme that fits every array.
    """
    match = re.match(r"^\s*([0-9]+)", str(system_version)) if system_version is not None else None
    if match and int(match.group(1)) >= LONG_NAMES_MAJOR_VERSION:
        return SCHEME_LXD
    return SCHEME_COMPACT


def valid_array_name(name, max_length=None):
    """Whether ``name`` is a volume name the array takes: letters, digits, '.', '_', '-', not starting with '-'."""
    if not isinstance(name, str) or not _ARRAY_NAME_RE.match(name):
        return False
    return max_length is None or len(name) <= max_length


def _size_amount(value):
    """The bytes in ``value`` as an exact Fraction (an int, a float, or an LXD size string); ValueError when it is none."""
    if isinstance(value, bool):
        raise ValueError("size %r is not a size: give %s" % (value, _SIZE_FORMS))
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("size %r is not a size: give %s" % (value, _SIZE_FORMS))
        return Fraction(value)
    if isinstance(value, str):
        match = _SIZE_RE.match(value.strip())
        if not match or match.group("unit") not in SIZE_UNITS:
            raise ValueError("size %r is not a size: give %s" % (value, _SIZE_FORMS))
        return Fraction(match.group("number")) * SIZE_UNITS[match.group("unit")]
    raise ValueError("size %r is not a size: give %s" % (value, _SIZE_FORMS))


def parse_size(value):
    """Bytes in ``value``: an int, or an LXD size string such as '10GiB', '1.5TiB', '10GB', '1073741824'.

    Fractions of a byte round up. Zero, negative and non-finite values are errors.
    """
    amount = _size_amount(value)
    if amount <= 0:
        raise ValueError("size %r must be more than zero: give %s" % (value, _SIZE_FORMS))
    size_bytes = int(math.ceil(amount))
    if size_bytes > _MAX_BYTES:
        raise ValueError("size %r is too large: at most %d bytes (8EiB)" % (value, _MAX_BYTES))
    return size_bytes


def is_zero_size(value):
    """Whether ``value`` is a size of zero (0, '0', '0GiB', '0 B'): LXD's way of asking for the default size."""
    try:
        return _size_amount(value) == 0
    except ValueError:
        return False


def size_to_mib(value, default=DEFAULT_SIZE):
    """The size of an array volume for ``value`` in MiB: rounded up to a multiple of 256, at least 256.

    ``None`` and a size of zero give ``default`` (LXD's default block size, 10GiB), as in LXD.
    """
    size_bytes = parse_size(default if value is None or is_zero_size(value) else value)
    mib = -(-size_bytes // MIB)
    return max(ARRAY_GRANULARITY_MIB, -(-mib // ARRAY_GRANULARITY_MIB) * ARRAY_GRANULARITY_MIB)


def format_mib(mib):
    """``mib`` MiB in the largest binary unit that states it exactly: '10GiB', '768MiB', '1536MiB'."""
    if isinstance(mib, bool) or not isinstance(mib, int) or mib < 0:
        raise ValueError("%r is not a whole number of MiB" % (mib,))
    for unit, factor in _MIB_UNITS:
        if mib and mib % factor == 0:
            return "%d%s" % (mib // factor, unit)
    return "0MiB"


def _add_date(reference, years, months, days):
    """Go's time.AddDate: months overflow into years, then days overflow into months."""
    month_index = reference.month - 1 + months
    first = reference.replace(year=reference.year + years + month_index // 12, month=month_index % 12 + 1, day=1)
    return first + datetime.timedelta(days=reference.day - 1 + days)


def expiry_to_hours(expr, now=None):
    """Hours until a snapshot with LXD's ``snapshots.expiry`` ``expr`` expires, rounded up.

    ``expr`` is like '1d', '2w' or '1m 3H 30M'; each unit once. Months and years are calendar
    months and years from ``now`` (a datetime, default the current UTC time) as LXD's
    shared.GetExpiry computes them (Jan 31 + 1m = Mar 3 in a common year). Returns None for
    an empty expression (no expiry) and at least 1 otherwise.
    """
    if expr is None:
        return None
    if not isinstance(expr, str):
        raise ValueError("expiry %r is not an expiry expression: use %s" % (expr, _EXPIRY_FORMS))
    terms = expr.split()
    if not terms:
        return None
    amounts = {}
    for term in terms:
        match = _EXPIRY_TERM_RE.match(term)
        if not match:
            raise ValueError("expiry %r: term %r is not valid: use %s" % (expr, term, _EXPIRY_FORMS))
        if match.group(2) in amounts:
            raise ValueError("expiry %r gives the unit %r more than once: give each unit once, for example '1d 12H'" % (
                expr, match.group(2)))
        amounts[match.group(2)] = int(match.group(1))
    if not any(amounts.values()):
        raise ValueError("expiry %r is zero: leave it empty for a snapshot that does not expire" % (expr,))
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    try:
        target = _add_date(now, amounts.get("y", 0), amounts.get("m", 0), amounts.get("d", 0) + 7 * amounts.get("w", 0))
        target += datetime.timedelta(hours=amounts.get("H", 0), minutes=amounts.get("M", 0), seconds=amounts.get("S", 0))
    except (OverflowError, ValueError):
        raise ValueError("expiry %r is too far in the future" % (expr,))
    delta = target - now
    microseconds = (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds
    return max(1, -(-microseconds // 3600000000))


def _scanned_number(text):
    """The integer Go's fmt.Sscanf reads for %d at the start of ``text`` and the rest, or None."""
    match = re.match(r"^[ \t]*([+-]?[0-9]+)", text)
    if not match:
        return None
    number = int(match.group(1))
    if number < _GO_INT_MIN or number > _GO_INT_MAX:
        return None
    return number, text[match.end():]


def snapshot_pattern_next(pattern, existing_names):
    """The number for the ``%d`` of ``pattern`` in the next snapshot name, as LXD picks it.

    One more than the highest number that ``fmt.Sscanf(name, pattern)`` reads from any of
    ``existing_names``, or 0. Like Sscanf, the text before and after ``%d`` must match and
    anything after the whole pattern is ignored; names that do not match are skipped.
    A pattern without ``%d`` gives 0; one with ``%d`` twice is an error.
    """
    if not isinstance(pattern, str):
        raise ValueError("snapshot pattern %r is not a string" % (pattern,))
    count = pattern.count("%d")
    if count > 1:
        raise ValueError("snapshot pattern %r may contain '%%d' only once" % (pattern,))
    if count == 0:
        return 0
    prefix, suffix = [part.replace("%%", "%") for part in pattern.split("%d")]
    next_number = 0
    for name in existing_names or ():
        if not isinstance(name, str) or not name.startswith(prefix):
            continue
        scanned = _scanned_number(name[len(prefix):])
        if scanned is None or not scanned[1].startswith(suffix):
            continue
        if scanned[0] >= next_number:
            next_number = scanned[0] + 1
    return next_number
