"""Fixtures: an in-process simulator on port 0 and a small WSAPI client over verified TLS."""

import pytest

from alletra_sim import Simulator
from sim_support import PASSWORD, USER, Api


@pytest.fixture(scope="session")
def tls_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def make_sim(tls_dir):
    started = []

    def factory(**kwargs):
        options = {"port": 0, "tls_dir": tls_dir, "user": USER, "password": PASSWORD, "task_seconds": 0.2}
        options.update(kwargs)
        sim = Simulator(**options).start()
        started.append(sim)
        return sim

    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim):
    return make_sim()


@pytest.fixture
def api(sim):
    client = Api(sim)
    yield client
    client.http.close()
