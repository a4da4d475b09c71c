"""inductiva.client: Client and AsyncClient hold their settings and pools, bind the whole API
to themselves, and follow the async naming rule."""

from __future__ import annotations

import asyncio
import inspect
import pathlib
import types
from collections.abc import Iterator

import httpx
import pytest
from http_script import STATUS_BODY, TASK
from task_fakes import FakeApi, Run

import inductiva
from inductiva import _http, errors
from inductiva._http import default_core


@pytest.fixture
def fake_api() -> FakeApi:
    """The in-memory API."""
    return FakeApi()


@pytest.fixture
def client(fake_api: FakeApi) -> Iterator[inductiva.Client]:
    """A client whose requests (blocking and asyncio) reach the fake API."""
    with fake_api.client() as client:
        yield client


def test_client_settings_are_resolved_and_held() -> None:
    """A Client resolves its settings when built and shows them; bad values are refused."""
    client = inductiva.Client(
        api_key="k", api_url="http://x.test/", timeout=5, max_retries=1, download_connections=2
    )
    assert (client.api_key, client.api_url, client.timeout, client.max_retries) == (
        "k",
        "http://x.test",
        5.0,
        1,
    )
    assert (client.download_connections, client.progress) == (2, None)
    assert client.settings.timeout == 5.0 and repr(client) == "Client(api_url='http://x.test')"
    with pytest.raises(errors.ConfigurationError):
        inductiva.Client(api_url="ftp://nope")
    with pytest.raises(errors.ConfigurationError):
        inductiva.Client(progress="yes")  # type: ignore[arg-type]


def test_client_repr_hides_a_url_password() -> None:
    """repr(client) shows the URL without its password."""
    client = inductiva.AsyncClient(api_key="k", api_url="https://user:s3cret-pw@api.test")
    assert "s3cret-pw" not in repr(client) and repr(client).startswith("AsyncClient(api_url=")


@pytest.mark.parametrize("bad", [0, -2, 1.5, "4", True])
def test_client_download_connections_must_be_a_positive_integer(bad: object) -> None:
    """Client/AsyncClient(download_connections=) outside integers >= 1 is a ConfigurationError."""
    for make in (inductiva.Client, inductiva.AsyncClient):
        with pytest.raises(errors.ConfigurationError, match=r"integer >= 1 \(1 = one stream"):
            make(api_key="k", api_url="http://api", download_connections=bad)  # type: ignore[arg-type]


def test_download_connections_resolve_argument_module_env_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """download_connections: argument > inductiva.<name> > env > 4, held per client."""
    assert inductiva.Client(api_key="k", api_url="http://api").download_connections == 4
    monkeypatch.setenv("INDUCTIVA_DOWNLOAD_CONNECTIONS", "3")
    assert inductiva.Client(api_key="k", api_url="http://api").download_connections == 3
    monkeypatch.setattr(inductiva, "download_connections", 2)
    monkeypatch.setattr(inductiva, "api_key", "k")
    client = inductiva.AsyncClient(api_key="k", api_url="http://api", download_connections=6)
    assert client.download_connections == 6
    assert default_core().session().settings.download_connections == 2  # the module setting
    assert client._core.session().settings.download_connections == 6  # its tasks: its own
    monkeypatch.setenv("INDUCTIVA_DOWNLOAD_CONNECTIONS", "many")
    monkeypatch.setattr(inductiva, "download_connections", None)
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_DOWNLOAD_CONNECTIONS"):
        inductiva.Client(api_key="k", api_url="http://api")


def test_module_settings_are_the_clients_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Client without arguments takes inductiva.<name>, then INDUCTIVA_<NAME>."""
    monkeypatch.setenv("INDUCTIVA_API_KEY", "env-key")
    monkeypatch.setattr(inductiva, "api_url", "http://module.test")
    client = inductiva.Client()
    assert (client.api_key, client.api_url) == ("env-key", "http://module.test")
    assert inductiva.Client(api_key="other-key").api_key == "other-key"


def test_client_task_and_tasks_are_bound(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """client.task(id) (alias client.Task) and client.tasks.get() send through the client."""
    refused: list[httpx.Request] = []
    _http.set_transport(httpx.MockTransport(lambda r: refused.append(r) or httpx.Response(500)))
    fake_api.add("7", "started")
    assert run(client.task("7").get_status) == "started"
    assert run(client.Task("7").get_status) == "started"
    [task] = run(client.tasks.get, last_n=5)
    assert task.id == "7" and run(task.get_status) == "started"
    assert "7" in client.tasks.render([task])
    assert refused == []


def test_task_accepts_a_client_or_an_async_client(fake_api: FakeApi) -> None:
    """inductiva.Task(id, client=...) takes a Client or an AsyncClient and uses it."""
    fake_api.add("7", "started")
    transport = httpx.MockTransport(fake_api)
    aclient = inductiva.AsyncClient("k", "http://fake.test", async_transport=transport)
    assert asyncio.run(inductiva.Task("7", client=aclient).get_status_async()) == "started"
    with inductiva.Client("k", "http://fake.test", transport=transport) as client:
        assert inductiva.Task("7", client=client).get_status() == "started"


def test_scenarios_and_simulators_are_bound(
    client: inductiva.Client, tmp_path: pathlib.Path
) -> None:
    """client.molecules and client.simulators build scenarios that submit through the client."""
    pdb = tmp_path / "p.pdb"
    pdb.write_text("ATOM      1  N   MET A   1      0.0   0.0   0.0  1.00  0.00           N\n")
    assert client.molecules.ProteinSolvation(protein_pdb=pdb).client is client
    assert client.simulators.OpenFOAM().client is client
    assert client.simulators.GROMACS().client is client
    assert client.simulators.Synthetic().client is client


def test_close_and_context_manager_close_the_pool() -> None:
    """with Client(...) closes its pool at the end; a later request opens a new one."""
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=STATUS_BODY))
    with inductiva.Client("k", "http://api", transport=transport) as client:
        client.task(TASK).get_status()
        http = client._core.api().get_httpx_client()
    assert http.is_closed
    assert client.task(TASK).get_status() == "success"
    client.close()


def test_close_async_and_its_alias_aclose_close_the_loops_pool() -> None:
    """AsyncClient.close_async() (and aclose, its standard alias) close the loop's pool now."""
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=STATUS_BODY))

    async def main(close: str) -> bool:
        client = inductiva.AsyncClient("k", "http://api", async_transport=transport)
        await client.task(TASK).get_status_async()
        http = client._core.api_async().get_async_httpx_client()
        await getattr(client, close)()
        return http.is_closed

    assert asyncio.run(main("close_async")) and asyncio.run(main("aclose"))
    assert inductiva.AsyncClient.aclose is inductiva.AsyncClient.close_async

    async def with_block() -> bool:
        async with inductiva.AsyncClient("k", "http://api", async_transport=transport) as client:
            await client.task(TASK).get_status_async()
            http = client._core.api_async().get_async_httpx_client()
        return http.is_closed

    assert asyncio.run(with_block())


# -- the async naming rule ----------------------------------------------------------------

_EXEMPT = {"aclose", "__aenter__", "__aexit__"}
"""Standard protocol names (aclose is the alias of close_async)."""


def _coroutines(owner: object) -> list[str]:
    names = []
    for name, value in inspect.getmembers(owner):
        function = getattr(value, "__func__", value)
        if inspect.iscoroutinefunction(function) and name not in _EXEMPT:
            names.append(name)
    return names


@pytest.mark.parametrize(
    "owner",
    [
        inductiva.Task,
        inductiva.tasks,
        inductiva.api,
        inductiva.api.Api,
        inductiva.molecules.ProteinSolvation,
        inductiva.simulators.OpenFOAM,
        inductiva.simulators.GROMACS,
        inductiva.simulators.Synthetic,
        inductiva.client._Tasks,
        inductiva.AsyncClient,
    ],
    ids=lambda o: getattr(o, "__name__", str(o)),
)
def test_every_coroutine_ends_in_async_and_has_a_blocking_twin(owner: object) -> None:
    """Each coroutine's name ends in _async, and that name without it is a blocking twin."""
    coroutines = _coroutines(owner)
    assert coroutines, owner
    blocking_owner = inductiva.Client if owner is inductiva.AsyncClient else owner
    for name in coroutines:
        assert name.endswith("_async"), name
        twin = getattr(blocking_owner, name.removesuffix("_async"), None)
        assert twin is not None, f"{name} has no blocking twin"
        assert callable(twin) and not inspect.iscoroutinefunction(twin), name
    if isinstance(owner, types.ModuleType):
        assert all(name in owner.__all__ for name in coroutines)


def test_with_options_changes_some_settings_and_keeps_the_rest(fake_api: FakeApi) -> None:
    """with_options(timeout=5) is a new client with that timeout and every other setting kept."""
    fake_api.add("1")
    with fake_api.client(max_retries=2, progress=False) as client:
        copy = client.with_options(timeout=5)
        assert type(copy) is inductiva.Client and copy is not client
        assert (copy.timeout, client.timeout) == (5.0, 60.0)
        assert (copy.api_key, copy.api_url, copy.max_retries, copy.progress) == (
            "unit-key",
            "http://fake.test",
            2,
            False,
        )
        assert copy.task("1").get_status() == "submitted"


def test_with_options_shares_no_pool(fake_api: FakeApi) -> None:
    """The copy has its own core and pool: closing one leaves the other working."""
    fake_api.add("1")
    with fake_api.client() as client:
        copy = client.with_options(max_retries=0)
        assert copy._core is not client._core
        client.task("1").get_status()
        copy.task("1").get_status()
        assert copy._core._sync is not client._core._sync
        client.close()
        assert copy.task("1").get_status() == "submitted"


def test_with_options_keeps_unset_settings_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """A setting the client holds as None (progress: auto) stays None, whatever the env says now."""
    client = inductiva.Client(api_key="k", api_url="http://x.test")
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "1")
    assert client.with_options(timeout=3).progress is None


def test_with_options_checks_what_it_is_given() -> None:
    """An unknown keyword or a bad value is refused, naming what is allowed."""
    client = inductiva.Client(api_key="k", api_url="http://x.test")
    with pytest.raises(errors.InvalidArgumentError, match=r"'timeot'.*timeout"):
        client.with_options(timeot=5)
    with pytest.raises(errors.ConfigurationError, match="timeout"):
        client.with_options(timeout=-1)


def test_with_options_of_an_async_client_is_an_async_client(fake_api: FakeApi) -> None:
    """AsyncClient.with_options returns an AsyncClient bound to the same transports."""
    fake_api.add("1")
    transport = httpx.MockTransport(fake_api)
    aclient = inductiva.AsyncClient(
        api_key="k", api_url="http://fake.test", async_transport=transport
    )
    copy = aclient.with_options(api_key="other-key")
    assert type(copy) is inductiva.AsyncClient and copy.api_key == "other-key"
    status = asyncio.run(copy.task("1").get_status_async())
    assert status == "submitted" and fake_api.requests[-1].headers["X-API-Key"] == "other-key"
