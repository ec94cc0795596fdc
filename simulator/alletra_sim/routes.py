"""The WSAPI v1 route table: (method, path pattern) -> handler, for every call behind the session check.

A pattern is the path under ``/api/v1``, one entry per segment; ``{name}`` takes any one segment (already
URL-decoded, so it may hold a "/"). A path no pattern fits is 404/11; a path some pattern fits, but not
with this method, is 501/9. A handler gets one argument ``r``: ``r.sim``, ``r.model``, ``r.query`` (dict),
``r.body`` (parsed JSON or None), ``r.user`` (of the session) and one attribute per ``{name}`` of its pattern.
"""

from types import SimpleNamespace

from . import errors


def _set_routes(kind):
    """Volume sets and host sets answer the same calls (only a volume set also takes a POST, listed below)."""
    return [
        ("GET", kind, lambda r: r.model.list_sets(kind)),
        ("POST", kind, lambda r: r.model.create_set(kind, r.body)),
        ("GET", kind + "/{name}", lambda r: r.model.get_set(kind, r.name)),
        ("PUT", kind + "/{name}", lambda r: r.model.modify_set(kind, r.name, r.body, r.user)),
        ("DELETE", kind + "/{name}", lambda r: r.model.delete_set(kind, r.name)),
    ]


def _cascade(query):
    """``?cascade=true`` (any case) on DELETE /volumes/<name>."""
    return query.get("cascade", "").lower() == "true"


OKV = "volumes/{name}/objectKeyValues"

ROUTES = [
    ("GET", "system", lambda r: (200, r.model.system(), {})),
    ("GET", "wsapiconfiguration", lambda r: r.sim.wsapi_configuration()),
    ("GET", "capacity", lambda r: (200, r.model.capacity(), {})),
    ("POST", "spacereporter", lambda r: r.model.space_report(r.body)),
    ("GET", "cpgs", lambda r: r.model.list_cpgs()),
    ("POST", "cpgs", lambda r: r.model.create_cpg(r.body)),
    ("GET", "cpgs/{name}", lambda r: r.model.get_cpg(r.name)),
    ("DELETE", "cpgs/{name}", lambda r: r.model.delete_cpg(r.name)),
    ("GET", "volumes", lambda r: r.model.list_volumes(r.query.get("query"))),
    ("POST", "volumes", lambda r: r.model.create_volume(r.body)),
    ("GET", "volumes/{name}", lambda r: r.model.get_volume(r.name)),
    ("PUT", "volumes/{name}", lambda r: r.model.modify_volume(r.name, r.body, r.user)),
    ("DELETE", "volumes/{name}", lambda r: r.model.delete_volume(r.name, _cascade(r.query))),
    ("POST", "volumes/{name}", lambda r: r.model.volume_action(r.name, r.body, r.user)),
    ("GET", OKV, lambda r: r.model.list_okv(r.name)),
    ("POST", OKV, lambda r: r.model.create_okv(r.name, r.body)),
    ("GET", OKV + "/{key}", lambda r: r.model.get_okv(r.name, r.key)),
    ("PUT", OKV + "/{key}", lambda r: r.model.modify_okv(r.name, r.key, r.body)),
    ("DELETE", OKV + "/{key}", lambda r: r.model.delete_okv(r.name, r.key)),
    *_set_routes("volumesets"),
    ("POST", "volumesets/{name}", lambda r: r.model.volumeset_action(r.name, r.body, r.user)),
    *_set_routes("hostsets"),
    ("GET", "hosts", lambda r: r.model.list_hosts(r.query.get("query"))),
    ("POST", "hosts", lambda r: r.model.create_host(r.body)),
    ("GET", "hosts/{name}", lambda r: r.model.get_host(r.name)),
    ("PUT", "hosts/{name}", lambda r: r.model.modify_host(r.name, r.body)),
    ("DELETE", "hosts/{name}", lambda r: r.model.delete_host(r.name)),
    ("GET", "vluns", lambda r: r.model.list_vluns(r.query.get("query"))),
    ("POST", "vluns", lambda r: r.model.create_vlun(r.body)),
    ("GET", "vluns/{id}", lambda r: r.model.get_vlun(r.id)),
    ("DELETE", "vluns/{id}", lambda r: r.model.delete_vlun(r.id)),
    ("GET", "ports", lambda r: r.model.list_ports()),
    ("GET", "ports/{position}/iSCSIVlans", lambda r: r.model.port_vlans(r.position)),
    ("GET", "tasks", lambda r: r.model.list_tasks()),
    ("GET", "tasks/{id}", lambda r: r.model.get_task(r.id, r.query.get("view"))),
    ("PUT", "tasks/{id}", lambda r: r.model.modify_task(r.id, r.body)),
]

# The table with each pattern split into its segments, once.
_TABLE = [(method, tuple(pattern.split("/")), handler) for method, pattern, handler in ROUTES]


def match(pattern, parts):
    """The ``{name}`` values if the path segments ``parts`` fit ``pattern`` (a tuple of segments), else None."""
    if len(pattern) != len(parts):
        return None
    params = {}
    for want, got in zip(pattern, parts):
        if want.startswith("{"):
            params[want[1:-1]] = got
        elif want != got:
            return None
    return params


def dispatch(sim, method, parts, query, body, user):
    """Answer a call under /api/v1 (``parts`` are the segments after it) by the table: the handler's
    ``(status, body, headers)``, or 404/11 when no pattern fits the path, 501/9 when none fits with ``method``."""
    known = False
    for route_method, pattern, handler in _TABLE:
        params = match(pattern, parts)
        if params is None:
            continue
        if route_method == method:
            return handler(SimpleNamespace(sim=sim, model=sim.model, query=query, body=body, user=user, **params))
        known = True
    if known:
        raise errors.unsupported()
    raise errors.no_such_resource()
