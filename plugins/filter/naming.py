# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for LXD's array names, sizes and snapshot expiry; documented in the adjacent YAML files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.alletra.storage.plugins.module_utils.naming import (
    DEFAULT_SIZE,
    SCHEME_LXD,
    decode_name,
    expiry_to_hours,
    size_to_mib,
    volume_name,
)


def _name(uuid, volume_type, content_type, scheme, snapshot, filter_name):
    try:
        return volume_name(volume_type, content_type, uuid, snapshot=snapshot, scheme=scheme)
    except ValueError as err:
        raise AnsibleFilterError("%s(%r): %s" % (filter_name, uuid, err))


def alletra_volume_name(uuid, volume_type="custom", content_type="filesystem", scheme=SCHEME_LXD):
    """The array name of the LXD volume with ``volatile.uuid`` ``uuid``."""
    return _name(uuid, volume_type, content_type, scheme, False, "alletra_volume_name")


def alletra_snapshot_name(uuid, volume_type="custom", content_type="filesystem", scheme=SCHEME_LXD):
    """The array name of the LXD snapshot whose own ``volatile.uuid`` is ``uuid``."""
    return _name(uuid, volume_type, content_type, scheme, True, "alletra_snapshot_name")


def alletra_decode_name(name):
    """The LXD identity behind an array name, or None when the name is not one LXD's driver makes."""
    if not isinstance(name, str):
        raise AnsibleFilterError("alletra_decode_name(%r): the input must be a string (an array volume name)" % (name,))
    return decode_name(name)


def alletra_size_mib(size, default=DEFAULT_SIZE):
    """The array size in MiB for an LXD size: rounded up to a multiple of 256, at least 256."""
    try:
        return size_to_mib(size, default=default)
    except ValueError as err:
        raise AnsibleFilterError("alletra_size_mib(%r): %s" % (size, err))


def alletra_expiry_hours(expiry):
    """Whole hours, rounded up, until an LXD ``snapshots.expiry`` expression expires from now."""
    try:
        return expiry_to_hours(expiry)
    except ValueError as err:
        raise AnsibleFilterError("alletra_expiry_hours(%r): %s" % (expiry, err))


class FilterModule(object):
    """LXD naming and size filters for HPE Alletra."""

    def filters(self):
        return {
            "alletra_volume_name": alletra_volume_name,
            "alletra_snapshot_name": alletra_snapshot_name,
            "alletra_decode_name": alletra_decode_name,
            "alletra_size_mib": alletra_size_mib,
            "alletra_expiry_hours": alletra_expiry_hours,
        }
