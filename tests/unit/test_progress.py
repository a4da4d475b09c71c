"""Progress bars: binary units as in the seed, and the on/off setting."""

from __future__ import annotations

import io
import sys

import pytest

import inductiva
from inductiva import errors
from inductiva._transfers._progress import byte_bar, progress_enabled


class FakeStderr(io.StringIO):
    """A stderr that says whether it is a terminal."""

    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        """Whether this pretends to be a terminal."""
        return self.terminal


def test_bar_shows_binary_units_like_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Totals read "4.82M" and rates "MiB/s", as in the seed's download bar."""
    monkeypatch.setattr(inductiva, "progress", True)
    with byte_bar(int(4.82 * 1024 * 1024)) as bar:
        bar.update(int(4.82 * 1024 * 1024))
        meter = bar.format_meter(
            bar.n, bar.total, 0.5, unit=bar.unit, unit_scale=True, unit_divisor=1024
        )
    assert "4.82M/4.82M" in meter
    assert "MiB/s" in meter


def test_progress_setting_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """inductiva.progress overrides INDUCTIVA_PROGRESS, which overrides the default."""
    monkeypatch.setattr(sys, "stderr", FakeStderr(terminal=True))
    monkeypatch.setattr(inductiva, "progress", None)
    monkeypatch.delenv("INDUCTIVA_PROGRESS", raising=False)
    assert progress_enabled()
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "0")
    assert not progress_enabled()
    monkeypatch.setattr(inductiva, "progress", True)
    assert progress_enabled()


def test_bars_default_to_off_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Piped stderr gets no bar by default; INDUCTIVA_PROGRESS=1 or inductiva.progress forces it."""
    monkeypatch.setattr(inductiva, "progress", None)
    monkeypatch.delenv("INDUCTIVA_PROGRESS", raising=False)
    for terminal in (False, True):
        stderr = FakeStderr(terminal)
        monkeypatch.setattr(sys, "stderr", stderr)
        with byte_bar(1000, desc="Downloading") as bar:
            bar.update(1000)
        assert ("Downloading" in stderr.getvalue()) is terminal
    monkeypatch.setattr(sys, "stderr", FakeStderr(terminal=False))
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "yes")
    assert progress_enabled()
    monkeypatch.delenv("INDUCTIVA_PROGRESS")
    monkeypatch.setattr(inductiva, "progress", True)
    assert progress_enabled()


def test_invalid_progress_environment_names_the_allowed_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """INDUCTIVA_PROGRESS=maybe is a ConfigurationError listing what is accepted."""
    monkeypatch.setattr(inductiva, "progress", None)
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "maybe")
    with pytest.raises(errors.ConfigurationError, match="0/false/no/off"):
        progress_enabled()


@pytest.mark.parametrize("value", ["no", "0", 1, "off"])
def test_non_bool_progress_attribute_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, value: object
) -> None:
    """inductiva.progress must be True, False or None; anything else names those choices."""
    monkeypatch.setattr(inductiva, "progress", value)
    with pytest.raises(errors.ConfigurationError, match="expected True"):
        progress_enabled()


def test_bars_use_tqdm_auto_and_show_in_notebooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bars come from tqdm.auto (widgets in Jupyter), and are on by default in a notebook."""
    import types

    import tqdm.auto

    from inductiva._transfers import _progress

    assert _progress.tqdm is tqdm.auto.tqdm
    monkeypatch.setattr(inductiva, "progress", None)
    monkeypatch.delenv("INDUCTIVA_PROGRESS", raising=False)
    monkeypatch.setattr(sys, "stderr", FakeStderr(terminal=False))
    assert not progress_enabled()

    class ZMQInteractiveShell:
        """Stands for the Jupyter kernel's shell."""

    fake = types.SimpleNamespace(get_ipython=ZMQInteractiveShell)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert progress_enabled()


def test_client_progress_beats_module_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """inductiva.Client(progress=False) hides bars for its own transfers."""
    from inductiva import _client

    monkeypatch.setattr(inductiva, "progress", True)
    client = inductiva.Client(api_key="k", progress=False)
    with _client.using(client._core):
        assert not progress_enabled()
    assert progress_enabled()
