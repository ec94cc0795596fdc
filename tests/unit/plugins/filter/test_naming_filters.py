# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.alletra.storage.plugins.filter import naming as naming_filters

EXAMPLE_UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
H = "5a2504b06a6c48498ee7ddb0b674fd14"
FILTER_NAMES = [
    "alletra_volume_name",
    "alletra_snapshot_name",
    "alletra_decode_name",
    "alletra_size_mib",
    "alletra_expiry_hours",
]
FILTERS = naming_filters.FilterModule().filters()


def test_filter_module_exposes_exactly_the_filters():
    assert sorted(FILTERS) == sorted(FILTER_NAMES)
    for name in FILTER_NAMES:
        assert FILTERS[name] is getattr(naming_filters, name)


@pytest.mark.parametrize("args, kwargs, expected", [
    ((EXAMPLE_UUID,), {}, "u-" + H),
    ((EXAMPLE_UUID, "virtual-machine", "block"), {}, "v-" + H + "-b"),
    ((H.upper(), "container"), {}, "c-" + H),
    ((EXAMPLE_UUID,), dict(content_type="iso"), "u-" + H + "-i"),
    ((EXAMPLE_UUID, "custom", "block", "compact"), {}, "u-lisqjmdknreetdxh3wylm5h5cq-b"),
])
def test_volume_name(args, kwargs, expected):
    assert FILTERS["alletra_volume_name"](*args, **kwargs) == expected


@pytest.mark.parametrize("args, expected", [
    ((EXAMPLE_UUID, "container"), "sc-" + H),
    ((EXAMPLE_UUID, "virtual-machine", "block"), "sv-" + H + "-b"),
    ((EXAMPLE_UUID,), "su-" + H),
    ((EXAMPLE_UUID, "virtual-machine", "block", "compact"), "sv-lisqjmdknreetdxh3wylm5h5cq-b"),
])
def test_snapshot_name(args, expected):
    assert FILTERS["alletra_snapshot_name"](*args) == expected


@pytest.mark.parametrize("filter_name", ["alletra_volume_name", "alletra_snapshot_name"])
@pytest.mark.parametrize("args, fragment", [
    (("not-a-uuid",), "'not-a-uuid' is not a UUID"),
    ((None,), "None is not a UUID"),
    ((EXAMPLE_UUID, "image", "iso"), "only for custom volumes"),
    ((EXAMPLE_UUID, "container", "block"), "filesystem content"),
    ((EXAMPLE_UUID, "vm"), "volume type 'vm'"),
    ((EXAMPLE_UUID, "custom", "filesystem", "auto"), "naming scheme 'auto'"),
])
def test_name_errors(filter_name, args, fragment):
    with pytest.raises(AnsibleFilterError) as raised:
        FILTERS[filter_name](*args)
    message = str(raised.value)
    assert fragment in message
    assert message.startswith("%s(%r)" % (filter_name, args[0]))


def test_decode_name():
    assert FILTERS["alletra_decode_name"]("sv-" + H + "-b") == dict(
        volume_type="virtual-machine", content_type="block", uuid=EXAMPLE_UUID, snapshot=True, scheme="lxd")
    assert FILTERS["alletra_decode_name"]("lxd-reverter-snapshot") is None


@pytest.mark.parametrize("value", [None, 5, ["c-" + H]])
def test_decode_name_refuses_non_strings(value):
    with pytest.raises(AnsibleFilterError, match=re.escape(repr(value))):
        FILTERS["alletra_decode_name"](value)


@pytest.mark.parametrize("args, expected", [
    (("700MiB",), 768),
    (("1",), 256),
    ((None,), 10240),
    ((None, "1GiB"), 1024),
    ((1073741824,), 1024),
    (("1.5TiB",), 1572864),
    (("10GB",), 9728),
    (("0",), 10240),
    ((0, "1GiB"), 1024),
])
def test_size_mib(args, expected):
    assert FILTERS["alletra_size_mib"](*args) == expected


@pytest.mark.parametrize("value", ["", "-1GiB", "ten", "10G", "nan", "inf", True])
def test_size_mib_errors(value):
    with pytest.raises(AnsibleFilterError) as raised:
        FILTERS["alletra_size_mib"](value)
    message = str(raised.value)
    assert message.startswith("alletra_size_mib(%r)" % (value,))
    assert "'10GiB'" in message


@pytest.mark.parametrize("value, expected", [
    ("2w", 336),
    ("1d 3H 30M", 28),
    ("45M", 1),
    ("", None),
    (None, None),
])
def test_expiry_hours(value, expected):
    assert FILTERS["alletra_expiry_hours"](value) == expected


@pytest.mark.parametrize("value, fragment", [
    ("1x", "is not valid"),
    ("1d 1d", "more than once"),
    ("0d", "is zero"),
    (7, "is not an expiry expression"),
])
def test_expiry_hours_errors(value, fragment):
    with pytest.raises(AnsibleFilterError) as raised:
        FILTERS["alletra_expiry_hours"](value)
    assert str(raised.value).startswith("alletra_expiry_hours(%r)" % (value,))
    assert fragment in str(raised.value)
