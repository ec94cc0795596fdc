# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The attributes every module declares, documented once (as community.general's attributes fragment)."""

    # Modules that change the array (alletra.storage.attributes).
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing, on the array or on the host.
  diff_mode:
    support: full
    description: Shows what the task manages (the pool, volume, snapshot or export) before and after.
"""

    # Modules that only read the array (alletra.storage.attributes.info_module).
    INFO_MODULE = r"""
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs the same in check mode.
  diff_mode:
    support: none
    description: The module only reads; there is nothing to show a difference of.
"""
