"""Object key-values of a volume: GET/POST /volumes/<name>/objectKeyValues and
GET/PUT/DELETE /volumes/<name>/objectKeyValues/<key>. They live in the volume record (``_okv``)."""

from .. import errors
from ..validation import check_members, check_name
from .common import collection

# Longest key (no source gives one; README Assumptions). Keys follow the name rules: [A-Za-z0-9._-].
OKV_KEY_MAX = 63


def check_okv_key(key):
    """A key as the name rules have it: too long 400/57, a space, '&' or other illegal character 400/69."""
    return check_name(key, OKV_KEY_MAX, "key")


class ObjectKeyValues:
    """Mixin of ArrayState: the key-value pairs clients attach to volumes."""

    def _okv(self, vol, key):
        """Check ``key`` (400/57, 400/69) and refuse (404/180) a key the volume does not have."""
        check_okv_key(key)
        if key not in vol["_okv"]:
            raise errors.not_found("object key", key)

    def list_okv(self, name):
        """GET /volumes/<name>/objectKeyValues: every pair of a volume."""
        vol = self._vol(name)
        return 200, collection([{"key": key, "value": value} for key, value in vol["_okv"].items()]), {}

    def create_okv(self, name, body):
        """POST /volumes/<name>/objectKeyValues: add a pair (409/181 if the key is there)."""
        vol = self._vol(name)
        body = check_members(body, {"key": "str", "value": "str"}, required=("key", "value"))
        check_okv_key(body["key"])
        if body["key"] in vol["_okv"]:
            raise errors.exists("object key", body["key"])
        vol["_okv"][body["key"]] = body["value"]
        self.dirty = True
        return 201, None, {"Location": "/api/v1/volumes/%s/objectKeyValues/%s" % (name, body["key"])}

    def get_okv(self, name, key):
        """GET /volumes/<name>/objectKeyValues/<key>: one pair."""
        vol = self._vol(name)
        self._okv(vol, key)
        return 200, {"key": key, "value": vol["_okv"][key]}, {}

    def modify_okv(self, name, key, body):
        """PUT /volumes/<name>/objectKeyValues/<key>: a new value."""
        vol = self._vol(name)
        self._okv(vol, key)
        body = check_members(body, {"key": "str", "value": "str"}, required=("value",))
        vol["_okv"][key] = body["value"]
        self.dirty = True
        return 200, None, {}

    def delete_okv(self, name, key):
        """DELETE /volumes/<name>/objectKeyValues/<key>: remove a pair."""
        vol = self._vol(name)
        self._okv(vol, key)
        del vol["_okv"][key]
        self.dirty = True
        return 200, None, {}
