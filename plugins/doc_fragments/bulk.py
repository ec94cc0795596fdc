# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """How the bulk form (option volumes) runs its items, documented once (alletra.storage.bulk)."""

    # Each module documents its own ``volumes`` option: the options its items take.
    DOCUMENTATION = r"""
options: {}
notes:
  - With O(volumes) (the bulk form), every item is checked before anything changes (names, sizes, UUIDs, expiries, two
    items naming the same volume or snapshot, conflicts between items); one bad item fails the task, naming the item
    (C(volumes[<index>])) and the option.
  - >-
    The items then run in order, in one WSAPI session; what they read of the array is read once for all of them. An item
    that fails is undone as the single form undoes a failure, the items done stay done, and the task fails with a message
    naming each failed item and its error, for example C(2 of 5 volumes failed: v3: ...; v4: ...).
  - Check mode and the diff work for each item as in the single form; the diff holds the items that changed, by name.
"""
