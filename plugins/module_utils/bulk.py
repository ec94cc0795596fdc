# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bulk form: option ``volumes``, a list of volumes that one task manages in one WSAPI session,
each item as the module's single form manages its one volume.

``BulkForm`` builds the module and checks every item before any request; ``name_items`` names each
item's volume once the pool is read and refuses duplicates; ``run_items`` runs the items, one failure
undone and reported without stopping the others; ``Reads`` reads what the items need with a few
queries instead of requests item by item.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.alletra.storage.plugins.module_utils.module import (
    ModuleFailure,
    Raced,
    connection_argument_spec,
    explain,
    new_module,
    settle_races,
)
from ansible_collections.alletra.storage.plugins.module_utils.wsapi import WsapiError

ITEMS = "volumes"
# Conditions in one ``?query=``: every URL stays within a few KiB, whatever the names.
QUERY_TERMS = 40


class Item(object):
    """One volume of a task, as the single form's logic sees its module: ``params``, ``check_mode`` and
    ``warn``. ``index`` is its place in ``volumes`` (None for the single form); ``name`` names it in
    messages and the diff once resolved; ``names`` are the array names it reads, read again after it ran."""

    def __init__(self, module, params, index=None):
        self.module = module
        self.params = params
        self.index = index
        self.check_mode = module.check_mode
        self.name = None
        self.names = ()
        self.checked = None

    @property
    def given(self):
        """The item as the task gave it (without the options it left unset)."""
        return dict((key, value) for key, value in self.module.params[ITEMS][self.index].items() if value is not None)

    @property
    def label(self):
        return self.name or "%s[%d]" % (ITEMS, self.index)

    def prefixed(self, message):
        return message if self.index is None else "%s[%d]: %s" % (ITEMS, self.index, message)

    def warn(self, message):
        self.module.warn(self.prefixed(message))

    def run_command(self, *args, **kwargs):
        return self.module.run_command(*args, **kwargs)


class BulkForm(object):
    """A module's single form (its argument ``spec`` and ``rules``) and its bulk form.

    ``identity`` are the options that name the one volume of the single form: each excludes
    ``volumes``. ``item_keys`` are the options an item takes; the task's values of the same names
    are the defaults of every item.
    """

    def __init__(self, spec, item_keys, identity, **rules):
        self.spec = dict(connection_argument_spec(), **spec)
        self.item_keys = item_keys
        self.identity = identity
        self.rules = rules

    def new_module(self):
        """The AnsibleModule: the single form's options plus ``volumes``.

        An item's options are the single form's, so they are checked here (items()) with the single
        form's spec and rules, over the task's values, and a failure names the item; the single form's
        rules that an item can complete are checked the same way for the single form.
        """
        spec = dict(self.spec)
        spec[ITEMS] = dict(type="list", elements="dict")
        return new_module(spec, mutually_exclusive=list(self.rules.get("mutually_exclusive", [])) + [(key, ITEMS) for key in self.identity],
                          required_one_of=[tuple(group) + (ITEMS,) for group in self.rules.get("required_one_of", [])])

    def items(self, module, check):
        """The task's volumes as Items, each checked as the single form checks its parameters, ``check``
        included (what it returns is the item's ``checked``). A bad item fails the module before any
        request, naming the item and the option."""
        given = module.params[ITEMS]
        if given == []:
            module.exit_json(changed=False, volumes=[], diff=dict(before={}, after={}))
        if given is None:
            return [self._checked(module, Item(module, dict((key, value) for key, value in module.params.items() if key != ITEMS)), check)]
        items = []
        for index, options in enumerate(given):
            item = Item(module, {}, index)
            unknown = sorted(set(options) - set(self.item_keys))
            if unknown:
                module.fail_json(msg=item.prefixed("%s: not an option of an item, which takes %s" % (", ".join(unknown), ", ".join(self.item_keys))))
            item.params = self._merged(module.params, options)
            items.append(self._checked(module, item, check))
        return items

    def _merged(self, params, options):
        """The single form's parameters for one item: the task's, with what the item gives instead. An
        item that sets one of mutually exclusive options takes none of the others from the task."""
        merged = dict((key, value) for key, value in params.items() if key != ITEMS)
        for group in self.rules.get("mutually_exclusive", []):
            if any(options.get(key) is not None for key in group):
                merged.update((key, self.spec[key].get("default")) for key in group)
        merged.update((key, value) for key, value in options.items() if value is not None)
        return merged

    def _checked(self, module, item, check):
        # The rules count an option as given when it is in the parameters: only what differs from
        # its default is (in a dict option too), as in what a task gives the single form.
        given = dict((key, _set(value)) for key, value in item.params.items()
                     if value is not None and value != self.spec[key].get("default"))
        outcome = ArgumentSpecValidator(self.spec, **self.rules).validate(given)
        if outcome.error_messages:
            module.fail_json(msg=item.prefixed(outcome.errors.msg))
        item.params = outcome.validated_parameters
        try:
            item.checked = check(item.params)
        except ModuleFailure as failure:
            module.fail_json(msg=item.prefixed(failure.msg), **failure.details)
        return item


def _set(value):
    """A dict option without its unset (None) suboptions; any other value as it is."""
    if isinstance(value, dict):
        return dict((key, item) for key, item in value.items() if item is not None)
    return value


def name_items(items, namer):
    """Call ``namer(item)`` for each item (it sets what the item names, once the pool is read, and
    returns a key that two items must not share, or None); a failure names the item. Nothing has
    changed on the array yet."""
    seen = {}
    for item in items:
        try:
            key = namer(item)
        except ModuleFailure as failure:
            raise ModuleFailure(item.prefixed(failure.msg), **failure.details)
        if key is not None and key in seen:
            raise ModuleFailure("%s[%d] and %s[%d] both name %s; give each once" % (ITEMS, seen[key], ITEMS, item.index, key))
        seen[key] = item.index


def run_items(items, run_one, reads=()):
    """Run ``run_one(item)`` for each item and return the task's result.

    The single form returns its one result as it is. The bulk form returns ``volumes`` (one entry per
    item, in order: what the single form returns for it, plus ``item``, ``failed`` and, when it
    failed, ``msg``), ``changed`` and a diff keyed by the items' names; each item settles its own
    create races. When items failed (each undone as the single form undoes it), the others stay done
    and the task fails with all of that and a message naming each failed item.
    """
    if items and items[0].index is None:
        return run_one(items[0])
    entries = [_run_item(item, run_one, reads) for item in items]
    diff = dict(before={}, after={})
    for item, entry in zip(items, entries):
        if entry["changed"]:
            diff["before"][item.label] = entry["diff"]["before"]
            diff["after"][item.label] = entry["diff"]["after"]
    summary = dict(changed=any(entry["changed"] for entry in entries), volumes=entries, diff=diff)
    failed = ["%s: %s" % (item.label, entry["msg"]) for item, entry in zip(items, entries) if entry["failed"]]
    if failed:
        raise ModuleFailure("%d of %d %s failed: %s" % (len(failed), len(items), ITEMS, "; ".join(failed)), **summary)
    return summary


def _run_item(item, run_one, reads):
    def attempt():
        try:
            return run_one(item)
        except Raced:
            _forget(reads, item.names)  # the next attempt reads what the other run made
            raise

    try:
        outcome = settle_races(attempt)
    except ModuleFailure as failure:
        return dict(failure.details, item=item.given, changed=False, failed=True, msg=failure.msg)
    except WsapiError as err:
        return dict(item=item.given, changed=False, failed=True, msg=explain(err), wsapi_error=err.as_dict())
    finally:
        if not item.check_mode:
            _forget(reads, item.names)  # what the item changed is read again by any later item
    return dict(outcome, item=item.given, failed=False)


def _forget(reads, names):
    for read in reads:
        read.forget(*names)


class Reads(object):
    """Members of a collection (``/volumes``, ``/vluns``) that one run needs for several names.

    The first time any name is asked for, every name registered so far is read with a few queries
    (``"name EQ a OR copyOf EQ a OR name EQ b ..."``, ``attributes`` per name) instead of requests
    name by name. A name not registered, or forgotten since (the run changed it), is read on its own.
    """

    def __init__(self, client, path, attributes, names=()):
        self.client = client
        self.path = path
        self.attributes = attributes
        self.pending = []
        self.known = {}
        self.register(names)

    def register(self, names):
        """Names the run will ask for: read together with the first one asked."""
        for name in names:
            if name not in self.known and name not in self.pending:
                self.pending.append(name)

    def members(self, name):
        """The members whose attributes have ``name`` as value (those that name it and, for volumes, its snapshots)."""
        if name not in self.known:
            self.register([name])
            self._read()
        return self.known[name]

    def forget(self, *names):
        for name in names:
            self.known.pop(name, None)

    def _read(self):
        names, self.pending = self.pending, []
        step = max(1, QUERY_TERMS // len(self.attributes))
        for start in range(0, len(names), step):
            chunk = names[start:start + step]
            found = dict((name, []) for name in chunk)
            terms = " OR ".join("%s EQ %s" % (attribute, name) for name in chunk for attribute in self.attributes)
            for member in self.client.members(self.path, query='"%s"' % terms):
                for attribute in self.attributes:
                    if member.get(attribute) in found:
                        found[member[attribute]].append(member)
            self.known.update(found)
