"""Helpers of the simulator tests: a small WSAPI client over verified TLS and error checks.

A module of its own (not conftest.py): tests/ has conftest modules too, and pytest imports them
all under the one name ``conftest``.
"""

import time

import requests

USER, PASSWORD = "3paradm", "s3cret"


class Api:
    """Thin WSAPI v1 client for tests: keeps one session key and one keep-alive connection pool."""

    def __init__(self, sim, login=True):
        self.sim = sim
        self.http = requests.Session()
        # requests lets REQUESTS_CA_BUNDLE override Session.verify: never trust the environment here.
        self.http.trust_env = False
        self.http.verify = sim.ca_path if sim.tls else False
        self.key = None
        if login:
            self.login()

    def login(self, user=USER, password=PASSWORD):
        resp = self.http.post(self.sim.api_url + "/credentials", json={"user": user, "password": password,
                                                                        "sessionType": 1})
        if resp.status_code == 201:
            self.key = resp.json()["key"]
        return resp

    def call(self, method, path, body=None, headers=None, **kwargs):
        all_headers = {"Accept": "application/json"}
        if self.key:
            all_headers["X-HP3PAR-WSAPI-SessionKey"] = self.key
        all_headers.update(headers or {})
        return self.http.request(method, self.sim.api_url + path, json=body, headers=all_headers, timeout=10,
                                 **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.call("POST", path, body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)

    # control plane
    def sim_call(self, method, path, body=None):
        resp = self.http.request(method, self.sim.url + "/_sim/" + path, json=body, timeout=10)
        return resp

    def state(self):
        resp = self.sim_call("GET", "state")
        assert resp.status_code == 200
        return resp.json()

    def counters(self):
        return self.sim_call("GET", "counters").json()

    # helpers
    def create_volume(self, name, size=1024, cpg="SSD_r6", **extra):
        body = {"name": name, "cpg": cpg, "sizeMiB": size, "tpvv": True}
        body.update(extra)
        resp = self.post("/volumes", body)
        assert resp.status_code == 201, resp.text
        return resp

    def snapshot(self, base, name, **params):
        params["name"] = name
        resp = self.post("/volumes/" + base, {"action": "createSnapshot", "parameters": params})
        assert resp.status_code == 201, resp.text
        return resp

    def wait_task(self, task_id, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            task = self.get("/tasks/%d?view=excludeDetail" % task_id).json()
            if task["status"] != 2:
                return task
            time.sleep(0.05)
        raise AssertionError("task %s still active" % task_id)


def assert_error(resp, status, code, ref=None):
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"] == "application/json"
    body = resp.json()
    assert body["code"] == code, body
    assert isinstance(body["desc"], str) and body["desc"]
    if ref is not None:
        assert body.get("ref") == ref, body
