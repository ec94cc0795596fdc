# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bad-input matrix (issue 13): every case, where it goes in, and the words its message must hold.

Each case fails with a message that contains every one of its ``words`` (the parameter or variable,
and what to do about it), no traceback, no password, and leaves the array as it was, object by
object. Who runs which cases:

* tests/unit/plugins/modules/test_bad_inputs_in_process.py: every module case, in-process, each
  against a simulator of its ``array`` kind set up by ``arrange()`` (``mp``: Alletra MP, names up to
  63 characters; ``primera``: names up to 31, volume sets up to 27).
* tests/playbooks/test_bad_inputs.py: one ``ansible-playbook -vvv`` run with the cases marked
  ``engine`` (credentials, URL, certificate), the role cases, the playbooks' variable checks and a
  whole playbook, proving that neither the password nor a session key shows in any output.

Option values may hold placeholders filled in at run time: ``{unreachable}`` (a local port nobody
listens on), ``{html}`` (a local HTTPS server with the simulator's certificate that answers an HTML
page, 200 under ``/ok`` and 404 under ``/missing``), ``{other_ca}`` (a CA bundle that did not sign
the simulator's certificate).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import contextlib
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from outcomes import free_port

Case = collections.namedtuple("Case", "id where options words array engine")

UUID = "5a2504b0-6a6c-4849-8ee7-ddb0b674fd14"
WRONG_PASSWORD = "Wr0ng-Pa55word"
POOL = "lxd-pool"
# A volume set marked as a pool with LXD's names on an array limited to 31 characters, as a pool
# made before alletra_pool refused that would be.
OLD_LXD_POOL = "old-lxd-pool"


def case(where, case_id, options, words, array="mp", engine=False):
    return Case(case_id, where, options, words, array, engine)


def volume_cases():
    where = "alletra_volume"
    volume = dict(pool=POOL, name="v1")
    return [
        case(where, "size of a wrong type", dict(volume, size=[1, 2]), ["size", "give '10GiB'"]),
        case(where, "size not a number", dict(volume, size="lots"), ["size", "'lots'", "give '10GiB'"]),
        case(where, "size with an unknown unit", dict(volume, size="10XB"), ["size", "'10XB'", "give '10GiB'"]),
        case(where, "negative size", dict(volume, size="-1GiB"), ["size", "'-1GiB'", "give '10GiB'"]),
        case(where, "size over 8EiB", dict(volume, size="9EiB"), ["size", "at most", "(8EiB)"]),
        case(where, "smaller than the volume", dict(volume, size="512MiB"), ["size", "give a size of at least 1GiB"]),
        case(where, "task_timeout out of range", dict(volume, task_timeout=-5), ["task_timeout", "positive number of seconds"]),
        case(where, "task_timeout of a wrong type", dict(volume, task_timeout="soon"), ["task_timeout", "int"]),
        case(where, "force of a wrong type", dict(volume, force="maybe"), ["force", "Valid booleans include"]),
        case(where, "bad uuid", dict(pool=POOL, uuid="not-a-uuid"), ["uuid", "'not-a-uuid'", "give 32 hex digits"]),
        case(where, "short uuid", dict(pool=POOL, uuid="5a2504b0-6a6c"), ["uuid", "give 32 hex digits"]),
        case(where, "unknown volume_type", dict(pool=POOL, uuid=UUID, volume_type="lxc"), ["volume_type", "one of", "custom"]),
        case(where, "iso content of a container", dict(pool=POOL, uuid=UUID, volume_type="container", content_type="iso"),
             ["content_type", "only for custom volumes"]),
        case(where, "name and uuid", dict(volume, uuid=UUID), ["name|uuid", "mutually exclusive"]),
        case(where, "neither name nor uuid", dict(pool=POOL), ["name, uuid", "one of the following is required"]),
        case(where, "illegal characters in the name", dict(pool=POOL, name="bad name!"), ["name", "'bad name!'", "use letters, digits"]),
        case(where, "name '..'", dict(pool=POOL, name=".."), ["name", "not '.' or '..'"]),
        case(where, "name too long for the array", dict(pool=POOL, name="v" * 40), ["name", "at most 31 characters", "give a shorter name"],
             array="primera"),
        case(where, "LXD name too long for the array", dict(pool=OLD_LXD_POOL, uuid=UUID),
             ["name", "at most 31 characters", "naming: compact"], array="primera"),
        case(where, "unknown pool", dict(pool="no-such-pool", name="v1"), ["pool", "'no-such-pool'", "create it first"], engine=True),
        case(where, "illegal characters in the pool", dict(pool="bad/pool", name="v1"), ["pool", "use 1 to 31 letters"]),
        case(where, "bad state", dict(volume, state="gone"), ["state", "one of", "present, absent", "gone"]),
        case(where, "copy_snapshots without source", dict(volume, copy_snapshots=True), ["copy_snapshots", "missing", "source"]),
        case(where, "source_snapshot without source", dict(volume, source_snapshot="s0"), ["source_snapshot", "source"]),
        case(where, "source_snapshot and copy_snapshots",
             dict(pool=POOL, name="v2", source=dict(name="v1"), source_snapshot="s0", copy_snapshots=True),
             ["source_snapshot|copy_snapshots", "mutually exclusive"]),
        case(where, "bad source uuid", dict(volume, source=dict(uuid="xyz")), ["source", "'xyz'", "give 32 hex digits"]),
    ]


def pool_cases():
    where = "alletra_pool"
    return [
        case(where, "pool name starting with '-'", dict(name="-bad", cpg="SSD_r6"), ["name", "'-bad'", "use 1 to 31 letters"]),
        case(where, "pool name over 31 characters", dict(name="p" * 32, cpg="SSD_r6"), ["name", "use 1 to 31 letters"]),
        case(where, "pool name too long for the array's volume sets", dict(name="p" * 28, cpg="SSD_r6"),
             ["name", "27 for a pool's volume set", "give a shorter name"], array="primera"),
        case(where, "unknown CPG", dict(name="p2", cpg="NO_CPG"), ["cpg", "'NO_CPG'", "give one of", "SSD_r6"]),
        case(where, "no CPG to create", dict(name="p2"), ["cpg", "required to create"]),
        case(where, "LXD names on an array limited to 31 characters", dict(name="p2", cpg="SSD_r6", naming="lxd"),
             ["naming", "takes at most 31", "naming: compact"], array="primera"),
        case(where, "another naming for an existing pool", dict(name=POOL, naming="compact"), ["naming", "keep naming: lxd"]),
        case(where, "unknown naming", dict(name="p2", cpg="SSD_r6", naming="short"), ["naming", "one of", "auto, lxd, compact"]),
        case(where, "another CPG for a pool with volumes", dict(name=POOL, cpg="SSD_r1"), ["cpg", "keep cpg: SSD_r6"]),
    ]


def snapshot_cases():
    where = "alletra_snapshot"
    snapshot = dict(pool=POOL, volume="v1")
    return [
        case(where, "bad expiry", dict(snapshot, name="s1", expiry="3x"), ["expiry", "'3x'", "use space-separated terms"]),
        case(where, "zero expiry", dict(snapshot, name="s1", expiry="0d"), ["expiry", "leave it empty"]),
        case(where, "expiry unit twice", dict(snapshot, name="s1", expiry="1d 2d"), ["expiry", "give each unit once"]),
        case(where, "expiry of a wrong type", dict(snapshot, name="s1", expiry=5), ["expiry", "use space-separated terms"]),
        case(where, "pattern without placeholder", dict(snapshot, pattern="snap"), ["pattern", "%d", "for example snap%d"]),
        case(where, "pattern with two placeholders", dict(snapshot, pattern="s%d-%d"), ["pattern", "'%d' only once"]),
        case(where, "pattern to delete", dict(snapshot, pattern="snap%d", state="absent"), ["pattern", "name the snapshot"]),
        case(where, "name and pattern", dict(snapshot, name="s1", pattern="snap%d"), ["name|pattern", "mutually exclusive"]),
        case(where, "snapshot name with a space", dict(snapshot, name="my snap"), ["name", "'my snap'", "without spaces"]),
        case(where, "bad snapshot uuid", dict(snapshot, name="s1", uuid="123"), ["uuid", "give 32 hex digits"]),
        case(where, "volume not in the pool", dict(pool=POOL, volume="nope", name="s1"),
             ["volume", "'nope'", "alletra.storage.alletra_volume"]),
        case(where, "restore a snapshot that does not exist", dict(snapshot, name="s9", state="restored"),
             ["name", "'s9'", "name one of its snapshots: s0"]),
        case(where, "task_timeout out of range", dict(snapshot, name="s0", state="restored", task_timeout=0),
             ["task_timeout", "positive number of seconds"]),
    ]


def host_attach_cases():
    where = "alletra_host_attach"
    attach = dict(pool=POOL, name="v1", connect=False, nqn="nqn.2014-08.org.nvmexpress:uuid:" + UUID)
    return [
        case(where, "unknown mode", dict(attach, mode="fc"), ["mode", "one of", "nvme, nvme/tcp, iscsi"]),
        case(where, "bad nqn", dict(attach, nqn="nqn.bad"), ["nqn", "'nqn.bad'", "expected nqn.<yyyy-mm>"]),
        case(where, "bad iqn", dict(attach, nqn=None, iqn="iqn-1"), ["iqn", "expected iqn.<yyyy-mm>"]),
        case(where, "iqn with mode nvme", dict(attach, nqn=None, iqn="iqn.2004-10.com.ubuntu:01:abc", mode="nvme"),
             ["iqn", "give nqn instead"]),
        case(where, "connect false without an initiator", dict(attach, nqn=None), ["connect", "give its initiator"]),
        case(where, "target with a port", dict(attach, targets=["10.0.0.1:4420"]), ["targets", "bare IP address"]),
        case(where, "illegal characters in host_name", dict(attach, host_name="web server"), ["host_name", "use letters, digits"]),
        case(where, "LXD host name too long for an entity", dict(attach, host_name="lxd-cluster-member-0001-rack12"),
             ["host_name", "give a host_name of at most 26 characters"]),
        case(where, "device_timeout out of range", dict(attach, device_timeout=0), ["device_timeout", "positive number of seconds"]),
        case(where, "unknown volume", dict(attach, name="nope"), ["name", "'nope'", "create it first with alletra.storage.alletra_volume"]),
        case(where, "unknown pool", dict(attach, pool="no-such-pool"), ["pool", "'no-such-pool'", "create it first"]),
        case(where, "name and uuid", dict(attach, uuid=UUID), ["name|uuid", "mutually exclusive"]),
    ]


def info_cases():
    where = "alletra_info"
    return [
        case(where, "unknown gather_subset", dict(gather_subset=["disks"]), ["gather_subset", "one or more of", "disks"]),
        case(where, "bad query", dict(query="volumes[?"), ["query", "not a valid JMESPath expression"]),
        case(where, "unknown pool", dict(pool="nope"), ["pool", "'nope'", "give one of its pools: lxd-pool"]),
        case(where, "timeout out of range", dict(timeout=0), ["timeout", "positive number of seconds"]),
        case(where, "timeout of a wrong type", dict(timeout="abc"), ["timeout", "int"]),
        case(where, "validate_certs of a wrong type", dict(validate_certs="maybe"), ["validate_certs", "Valid booleans include"]),
    ]


def connection_cases():
    """The connection options, through alletra_info; also run by ansible-playbook -vvv (``engine``)."""
    where = "connection (alletra_info)"
    return [
        case(where, "url without scheme", dict(wsapi_url="array.example.com"), ["wsapi_url", "must start with https://"]),
        case(where, "plain http without allow_http", dict(wsapi_url="http://127.0.0.1:9"), ["wsapi_url", "use https://", "allow_http"],
             engine=True),
        case(where, "wrong password", dict(password=WRONG_PASSWORD), ["username and password", "check"], engine=True),
        case(where, "wrong username", dict(username="nobody"), ["username and password", "check"]),
        case(where, "unreachable url", dict(wsapi_url="{unreachable}", timeout=2), ["no answer", "Check wsapi_url"], engine=True),
        case(where, "untrusted certificate (system CAs)", dict(ca_path=""), ["certificate", "Set ca_path", "validate_certs"], engine=True),
        case(where, "untrusted certificate (another CA)", dict(ca_path="{other_ca}"), ["certificate", "Set ca_path", "validate_certs"]),
        case(where, "ca_path that does not exist", dict(ca_path="/nonexistent/ca.pem"), ["ca_path", "must be the PEM file"]),
        case(where, "non-WSAPI server answering HTML 200", dict(wsapi_url="{html}/ok"), ["not a WSAPI", "wsapi_url"], engine=True),
        case(where, "non-WSAPI server answering HTML 404", dict(wsapi_url="{html}/missing"), ["not a WSAPI", "wsapi_url"]),
    ]


def module_cases():
    return volume_cases() + pool_cases() + snapshot_cases() + host_attach_cases() + info_cases() + connection_cases()


def role_cases():
    """The role alletra.storage.alletra_initiator: its argument spec, then its validate step."""
    where = "role alletra_initiator"
    return [
        case(where, "unknown mode", dict(alletra_initiator_mode="fc"), ["alletra_initiator_mode", "one or more of", "nvme, iscsi"]),
        case(where, "kernel_modules of a wrong type", dict(alletra_initiator_kernel_modules="maybe"),
             ["alletra_initiator_kernel_modules", "Valid booleans include"]),
        case(where, "apt_cache_valid_time of a wrong type", dict(alletra_initiator_apt_cache_valid_time="soon"),
             ["alletra_initiator_apt_cache_valid_time", "int"]),
        case(where, "multipath_device of a wrong type", dict(alletra_initiator_multipath_device="vendor 3PARdata"),
             ["alletra_initiator_multipath_device", "dict"]),
        case(where + " (validate step)", "empty mode", dict(alletra_initiator_mode=[]),
             ["alletra_initiator_mode must be nvme, iscsi or a list of both"]),
    ]


def playbook_cases():
    """playbooks/tasks/check_vars.yml, which every playbook runs before anything changes."""
    where = "playbooks (check_vars)"
    pool = dict(alletra_pool=POOL)
    return [
        case(where, "no alletra_pool", {}, ["alletra_pool must name the pool", "-e alletra_pool=lxd-pool"]),
        case(where, "bad alletra_pool_state", dict(pool, alletra_pool_state="gone"), ["alletra_pool_state must be present or absent", "gone"]),
        case(where, "bad alletra_mode", dict(pool, alletra_mode="fc"), ["alletra_mode must be nvme/tcp", "or iscsi", "got fc"]),
        case(where, "alletra_target with a port", dict(pool, alletra_target="10.0.0.1:3260"),
             ["alletra_target must be a comma-separated list of target IP addresses without ports", "10.0.0.1:3260"]),
        case(where, "bad block_filesystem", dict(pool, block_filesystem="zfs"), ["block_filesystem must be ext4", "xfs or btrfs", "got zfs"]),
        case(where, "volume_name and volume_uuid", dict(pool, volume_name="v1", volume_uuid=UUID),
             ["volume_name", "volume_uuid", "not both"]),
        case(where, "relative volume_mount_path", dict(pool, volume_mount_path="mnt/data"),
             ["volume_mount_path must be an absolute path", "mnt/data"]),
    ]


def migrate_cases():
    """playbooks/tasks/migrate_checks.yml, which migrate.yml runs before anything changes."""
    where = "playbooks (migrate_checks)"
    given = dict(alletra_pool=POOL, volume_name="v1", migrate_destination=dict(pool="pool-b"))
    return [
        case(where, "bad rsync_bwlimit", dict(given, rsync_bwlimit="10 megs"),
             ["rsync_bwlimit must be 0 (no limit) or a rate per second in LXD's units", "10MiB", "got 10 megs"]),
        case(where, "no migrate_destination pool", dict(given, migrate_destination={}),
             ["migrate_destination.pool must name the pool on the destination array"]),
        case(where, "migrate volume_name and volume_uuid", dict(given, volume_uuid=UUID),
             ["give the volume to move by volume_name", "one of them"]),
        case(where, "bad rsync_compression", dict(given, rsync_compression="maybe"),
             ["rsync_compression, migrate_snapshots and migrate_remove_source must be true or false", "maybe"]),
        case(where, "bad migrate_destination mode", dict(given, migrate_destination=dict(pool="pool-b", mode="fc")),
             ["migrate_destination.mode", "must be nvme/tcp or iscsi", "fc"]),
    ]


def playbook_run_case():
    """A whole playbook, volume_lifecycle.yml, stopped by its own check after check_vars (the last play of the run)."""
    return case("playbooks (volume_lifecycle.yml)", "unknown volume_steps", dict(alletra_pool=POOL, volume_name="v1", volume_steps=["explode"]),
                ["volume_steps takes create, snapshot, grow, copy, restore and delete", "explode"])


def all_cases():
    return module_cases() + role_cases() + playbook_cases() + migrate_cases() + [playbook_run_case()]


HTML = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works</h1></body></html>\n"


class HtmlPage(BaseHTTPRequestHandler):
    """A web server that is not a WSAPI: an HTML page, 200 under /ok/ and 404 elsewhere, to any method."""

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200 if self.path.startswith("/ok/") else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(HTML)))
        self.end_headers()
        self.wfile.write(HTML)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_html(tls_dir):
    """https://127.0.0.1:<port> of an HTML server with the simulator's certificate from ``tls_dir``
    (so the simulator's ca_path trusts it)."""
    from alletra_sim.tls import ensure_certificates

    paths = ensure_certificates(tls_dir)
    server = ThreadingHTTPServer(("127.0.0.1", 0), HtmlPage)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(paths["server.pem"], paths["server.key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield "https://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def resolve(options, html_url):
    """A case's options with the run-time placeholders filled in (``html_url`` from serve_html)."""
    import certifi

    places = dict(unreachable="https://127.0.0.1:%d" % free_port(), html=html_url, other_ca=certifi.where())
    return dict((key, value.format(**places) if isinstance(value, str) and "{" in value else value)
                for key, value in options.items())
