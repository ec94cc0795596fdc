# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """How a task names a volume of a pool: by array name, or by LXD identity (alletra.storage.volume)."""

    DOCUMENTATION = r"""
options:
  pool:
    description:
      - Pool the volume belongs to.
    type: str
    required: true
  name:
    description:
      - Array name of the volume.
      - Mutually exclusive with O(uuid) and O(volumes).
    type: str
  uuid:
    description:
      - LXD UUID of the volume (its C(volatile.uuid)); with O(volume_type) and O(content_type) it gives the array name in
        the pool's naming scheme, for example V(u-5a2504b06a6c48498ee7ddb0b674fd14) for a custom filesystem volume.
      - Mutually exclusive with O(name) and O(volumes).
    type: str
  volume_type:
    description:
      - LXD volume type, used with O(uuid); with O(volumes), the type of every item that does not give its own.
    type: str
    choices: [container, virtual-machine, image, custom]
    default: custom
  content_type:
    description:
      - LXD content type, used with O(uuid). V(iso) is only valid for V(custom) volumes.
      - With O(volumes), the content type of every item that does not give its own.
    type: str
    choices: [filesystem, block, iso]
    default: filesystem
"""
