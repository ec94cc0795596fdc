# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection options as every module sees them (module.client_for): plain HTTP, unverified
certificates, a bad ca_path and the session limit, run through a real module's main()."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import importlib
import io
import json

import pytest

from ansible.module_utils import _internal as ansible_internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

from ansible_collections.alletra.storage.plugins.module_utils import wsapi

MODULE = "ansible_collections.alletra.storage.plugins.modules.alletra_info"
PASSWORD = "http-lab-Pa55"


@pytest.fixture
def http_sim():
    """A simulator that serves plain HTTP (no TLS), as a lab setup might."""
    from alletra_sim import Simulator

    with Simulator(host="127.0.0.1", port=0, tls=False, user="3paradm", password=PASSWORD) as simulator:
        yield simulator


@pytest.fixture
def run_info(monkeypatch):
    """Run alletra_info's main() with ``args``; return its printed result and its raw output."""
    # On a managed node warnings go into the result; once a test has imported the controller
    # (ansible.errors and the like) they would go to the display instead.
    monkeypatch.setattr(ansible_internal, "is_controller", False)
    for name in ("ALLETRA_ALLOW_HTTP", "ALLETRA_VALIDATE_CERTS", "ALLETRA_CA_PATH"):
        monkeypatch.delenv(name, raising=False)

    def run(args):
        ansible_warnings._global_warnings.clear()
        printed = io.StringIO()
        with patch_module_args(dict(args, gather_subset=["system"])), contextlib.redirect_stdout(printed):
            with pytest.raises(SystemExit):
                importlib.import_module(MODULE).main()
        ansible_warnings._global_warnings.clear()
        return json.loads(printed.getvalue()), printed.getvalue()

    return run


def connection(sim, **options):
    return dict(dict(wsapi_url=sim.url, username=sim.user, password=sim.password, ca_path=sim.ca_path, timeout=5), **options)


def warnings_of(result):
    """The warning texts (ansible-core 2.19 returns each as a WarningSummary dict)."""
    texts = []
    for warning in result.get("warnings") or []:
        texts.append(warning["event"]["msg"] if isinstance(warning, dict) else warning)
    return texts


def assert_clean_failure(result, output, *words):
    assert result.get("failed"), result
    for word in words:
        assert word in result["msg"], (word, result["msg"])
    assert "Module failed" not in result["msg"] and "Traceback" not in output


def test_http_url_is_refused_before_any_request(http_sim, run_info):
    result, output = run_info(connection(http_sim))
    assert_clean_failure(result, output, "wsapi_url", "allow_http", http_sim.url)
    assert http_sim.counters()["requests_total"] == 0
    assert PASSWORD not in output


@pytest.mark.parametrize("how", ["option", "environment"])
def test_allowed_http_works_and_warns(http_sim, run_info, monkeypatch, how):
    args = connection(http_sim)
    if how == "option":
        args["allow_http"] = True
    else:
        monkeypatch.setenv("ALLETRA_ALLOW_HTTP", "true")
    result, output = run_info(args)
    assert not result.get("failed"), result
    assert result["info"]["system"]["name"]
    warnings = warnings_of(result)
    assert len(warnings) == 1
    assert "unencrypted" in warnings[0] and "session key" in warnings[0] and http_sim.url in warnings[0]
    assert PASSWORD not in output
    assert http_sim.counters()["sessions_open"] == 0


def test_verified_https_has_no_warning(sim, run_info):
    result, dummy = run_info(connection(sim))
    assert not result.get("failed"), result
    assert warnings_of(result) == []


def test_unverified_certificate_warns(sim, run_info):
    result, output = run_info(connection(sim, validate_certs=False, ca_path=None))
    assert not result.get("failed"), result
    warnings = warnings_of(result)
    assert len(warnings) == 1
    assert "not verified" in warnings[0] and "man-in-the-middle" in warnings[0] and "ca_path" in warnings[0]
    assert sim.password not in output


@pytest.mark.parametrize("how", ["option", "environment"])
def test_missing_ca_path_fails_before_any_request(sim, run_info, monkeypatch, tmp_path, how):
    missing = str(tmp_path / "array-ca.pem")
    args = connection(sim, ca_path=missing)
    if how == "environment":
        del args["ca_path"]
        monkeypatch.setenv("ALLETRA_CA_PATH", missing)
    result, output = run_info(args)
    assert_clean_failure(result, output, "ca_path", missing, "does not exist")
    assert sim.counters()["requests_total"] == 0


def test_ca_path_directory_fails_before_any_request(sim, run_info, tmp_path):
    result, output = run_info(connection(sim, ca_path=str(tmp_path)))
    assert_clean_failure(result, output, "ca_path", str(tmp_path), "not a file")
    assert sim.counters()["requests_total"] == 0


def test_session_limit_fails_with_a_clear_message(sim, sim_admin, run_info, monkeypatch):
    monkeypatch.setattr(wsapi.WsapiClient, "_pause", lambda self, attempt: None)
    sim_admin.faults({"method": "POST", "path": "/api/v1/credentials", "count": 10, "status": 503,
                      "code": wsapi.SVC_UNAVAIL, "desc": "the server has reached its maximum number of connections"})
    result, output = run_info(connection(sim))
    assert_clean_failure(result, output, "session limit is reached")
    assert result["wsapi_error"]["code"] == wsapi.SVC_UNAVAIL
    assert sim.password not in output
