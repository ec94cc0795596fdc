# -*- coding: utf-8 -*-
# Copyright: (c) 2026, alletra.storage contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module framework: connection options, the run loop, failures, races and the result.

Every module's ``main()`` has one shape: ``new_module(spec)``, then ``check_params(module, check)``
for what needs no request, then ``run(module, action)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.alletra.storage.plugins.module_utils.wsapi import (
    HTTP_FORBIDDEN,
    INV_USER_PASS,
    WsapiClient,
    WsapiError,
)

# How often a create that lost a race to another run is tried again with what that run made.
RACE_ATTEMPTS = 8


def connection_argument_spec():
    """The connection options, documented once in the doc fragment alletra.storage.alletra."""
    return dict(
        wsapi_url=dict(type="str", required=True, fallback=(env_fallback, ["ALLETRA_WSAPI_URL"])),
        username=dict(type="str", required=True, fallback=(env_fallback, ["ALLETRA_USERNAME"])),
        password=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["ALLETRA_PASSWORD"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["ALLETRA_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["ALLETRA_CA_PATH"])),
        timeout=dict(type="int", default=30, fallback=(env_fallback, ["ALLETRA_TIMEOUT"])),
        allow_http=dict(type="bool", default=False, fallback=(env_fallback, ["ALLETRA_ALLOW_HTTP"])),
    )


def new_module(argument_spec, **kwargs):
    """An AnsibleModule with the connection options and check mode."""
    spec = connection_argument_spec()
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **kwargs)
    # An argument_spec has no range check for integers.
    if module.params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds, got %s" % module.params["timeout"])
    return module


class ModuleFailure(Exception):
    """A refusal or a failed step, reported by run() (or check_params()) as the module's failure."""

    def __init__(self, msg, **details):
        super(ModuleFailure, self).__init__(msg)
        self.msg = msg
        self.details = details


class Raced(ModuleFailure):
    """Another run created the object first ("already exists"), or deleted one this run had read:
    callers read it and compare instead of failing; one that cannot is a plain failure that says so."""

    def __init__(self, name, happened="created"):
        super(Raced, self).__init__("%r was %s by another run at the same time; run the task again" % (name, happened))
        self.name = name


def check_params(module, check):
    """``check(module.params)`` for the checks that need no request; a ModuleFailure it raises fails
    the module before any connection is made. Returns what ``check`` returns."""
    try:
        return check(module.params)
    except ModuleFailure as failure:
        module.fail_json(msg=failure.msg, **failure.details)


def client_for(module):
    """A WSAPI client for the module's connection options; no request is sent yet.

    Options the client refuses (an http:// wsapi_url without allow_http, a ca_path that is not a
    readable file) fail the module here; an unencrypted or unverified connection makes it warn.
    """
    params = module.params
    try:
        client = WsapiClient(params["wsapi_url"], params["username"], params["password"],
                             validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                             timeout=params["timeout"], allow_http=params["allow_http"])
    except WsapiError as err:
        module.fail_json(msg=str(err))
    for warning in client.warnings:
        module.warn(warning)
    return client


def run(module, action):
    """Run ``action(client)`` in one WSAPI session and exit the module with the result it returns.

    An action that lost a create race (Raced) runs again from a fresh read (settle_races). The
    session is deleted before the module exits, whatever happens.
    """
    try:
        with client_for(module) as client:
            outcome = settle_races(lambda: action(client))
    except ModuleFailure as failure:
        module.fail_json(msg=failure.msg, **failure.details)
    except WsapiError as err:
        module.fail_json(msg=explain(err), wsapi_error=err.as_dict())
    module.exit_json(**outcome)


def explain(err):
    """A WSAPI error as a task's message: a refused login says what to check."""
    if err.status == HTTP_FORBIDDEN and err.code == INV_USER_PASS:
        return "login refused: check username and password (%s)" % err
    return str(err)


def settle_races(action):
    """Run ``action()`` again, from a fresh read, when it lost a create race to another run (Raced)."""
    for attempt in range(RACE_ATTEMPTS):
        try:
            return action()
        except Raced:
            if attempt + 1 == RACE_ATTEMPTS:
                raise


def result(before, after, changed=None, **returned):
    """A module's result: ``changed``, the values it returns, and the diff from ``before`` to ``after``.

    ``changed`` defaults to whether ``before`` and ``after`` differ; a module that compares a
    reduced view (without what the array assigns) passes those views as ``before`` and ``after``.
    """
    if changed is None:
        changed = before != after
    return dict(returned, changed=changed, diff=dict(before=before, after=after))
