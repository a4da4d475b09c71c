"""inductiva.Client / AsyncClient against the mock: own settings, own pool, bound tasks."""

from __future__ import annotations

import asyncio
import pathlib

import pytest
from inductiva_api.api.tasks import get_task
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import _capabilities, _http, errors

pytestmark = pytest.mark.contract


@pytest.fixture
def no_module_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No module settings or environment: each client carries its own."""
    for name in ("api_key", "api_url"):
        monkeypatch.setattr(inductiva, name, None)
        monkeypatch.delenv(f"INDUCTIVA_{name.upper()}", raising=False)
    _http.reset()


def test_two_clients_with_two_keys_in_one_process(
    mock_server: MockServer, no_module_settings: None
) -> None:
    """Tasks of client A are A's; client B (other key) cannot see them; pools are separate."""
    with (
        inductiva.Client(api_key="test-key", api_url=mock_server.url) as a,
        inductiva.Client(api_key="other-key", api_url=mock_server.url) as b,
    ):
        task_a = a.simulators.Synthetic().run(duration=0, run_async=True)
        task_b = b.simulators.Synthetic().run(duration=0, run_async=True)
        assert task_a.wait(timeout=60) == "success" and task_b.wait(timeout=60) == "success"
        ids_a = {t.id for t in a.tasks.get(last_n=1000)}
        ids_b = {t.id for t in b.tasks.get(last_n=1000)}
        assert task_a.id in ids_a and task_a.id not in ids_b
        assert task_b.id in ids_b and task_b.id not in ids_a
        with pytest.raises(errors.NotFoundError):
            b.task(task_a.id).get_info()
        assert a.Task(task_a.id).get_info().id == task_a.id
        assert a.api.client() is not b.api.client()
        assert a.api.call(get_task.sync_detailed, task_id=task_a.id).task_id == task_a.id


def test_task_keeps_its_client(mock_server: MockServer, no_module_settings: None) -> None:
    """A Task from client A keeps using A, even while the module settings point elsewhere."""
    client = inductiva.Client(api_key="test-key", api_url=mock_server.url)
    task = client.simulators.Synthetic().run(duration=0, run_async=True)
    listed = client.tasks.get(last_n=1)[0]
    inductiva.api_key, inductiva.api_url = "wrong-key", mock_server.url  # the default client
    try:
        assert task.wait(timeout=60) == "success"
        assert listed.get_status() in inductiva._types.KNOWN_STATUSES
        with pytest.raises(errors.AuthenticationError):
            inductiva.Task(task.id).get_status()
    finally:
        inductiva.api_key = inductiva.api_url = None
        _http.reset()
        client.close()


def test_module_api_unchanged_uses_default_client(
    mock_server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The module-level API reads the module settings (argument > module > env > default)."""
    monkeypatch.setattr(inductiva, "api_key", None)
    monkeypatch.setenv("INDUCTIVA_API_KEY", "test-key")
    monkeypatch.setattr(inductiva, "api_url", mock_server.url)
    _http.reset()
    task = inductiva.simulators.Synthetic().run(duration=0, run_async=True)
    assert task.wait(timeout=60) == "success"
    client = inductiva.Client()
    assert client.api_key == "test-key" and client.api_url == mock_server.url
    assert inductiva.Client(api_key="other-key").api_key == "other-key"
    _http.reset()


def test_capabilities_are_per_client(
    mock_server: MockServer, legacy_mock_server: MockServer, no_module_settings: None
) -> None:
    """One client talks to a server with extensions, another to a legacy one, side by side."""
    modern = inductiva.Client(api_key="test-key", api_url=mock_server.url)
    legacy = inductiva.Client(api_key="test-key", api_url=legacy_mock_server.url)
    assert modern._core.run(_capabilities.offers("byte-ranges"))
    assert not legacy._core.run(_capabilities.offers("byte-ranges"))
    assert modern._core.run(_capabilities.offers("long-poll"))
    assert legacy._core.run(_capabilities.extensions()) == frozenset()


def test_async_client_two_keys(mock_server: MockServer, no_module_settings: None) -> None:
    """AsyncClient: its own task is listed by tasks.get_async, waited on, and hidden from B."""

    async def main() -> tuple[str, set[str], set[str], str]:
        async with (
            inductiva.AsyncClient(api_key="test-key", api_url=mock_server.url) as a,
            inductiva.AsyncClient(api_key="other-key", api_url=mock_server.url) as b,
        ):
            task = await a.simulators.Synthetic().run_async(duration=0, run_async=True)
            status = await a.task(task.id).wait_async(timeout=60)
            ta, tb = await a.tasks.get_async(last_n=1000), await b.tasks.get_async(last_n=1000)
            return task.id, {t.id for t in ta}, {t.id for t in tb}, status

    task_id, ids_a, ids_b, status = asyncio.run(main())
    assert status == "success"
    assert task_id in ids_a and task_id not in ids_b
    assert not ids_a & ids_b


def test_client_settings_are_validated_and_held(no_module_settings: None) -> None:
    """A Client resolves its settings when built; bad values are ConfigurationErrors."""
    client = inductiva.Client(api_key="k", api_url="http://x.test/", timeout=5, max_retries=1)
    assert (client.api_key, client.api_url, client.timeout, client.max_retries) == (
        "k",
        "http://x.test",
        5.0,
        1,
    )
    with pytest.raises(errors.ConfigurationError):
        inductiva.Client(api_url="ftp://nope")
    with pytest.raises(errors.ConfigurationError):
        inductiva.Client(progress="yes")  # type: ignore[arg-type]


def test_scenario_bound_to_client(
    mock_server: MockServer, no_module_settings: None, tmp_path: pathlib.Path
) -> None:
    """client.molecules.ProteinSolvation submits through the client; the task stays bound."""
    pdb = tmp_path / "p.pdb"
    pdb.write_text("ATOM      1  N   MET A   1      0.0   0.0   0.0  1.00  0.00           N\n")
    with inductiva.Client(api_key="other-key", api_url=mock_server.url, progress=False) as c:
        scenario = c.molecules.ProteinSolvation(protein_pdb=pdb)
        task = scenario.simulate(run_async=True)
        assert task.id in {t.id for t in c.tasks.get(last_n=20)}
        assert c.simulators.OpenFOAM().client is c
