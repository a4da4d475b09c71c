"""inductiva._transfers._progress: bars in binary units as in the seed, shown per the client's
progress setting (resolved by inductiva._http._settings), else on a terminal or in a notebook."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

import inductiva
from inductiva._http import resolve_settings
from inductiva._transfers._progress import byte_bar, progress_enabled


def _enabled() -> bool:
    """Whether the default client's transfers draw bars (its progress setting, resolved now)."""
    return progress_enabled(resolve_settings().progress)


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
    with byte_bar(int(4.82 * 1024 * 1024), progress=True) as bar:
        bar.update(int(4.82 * 1024 * 1024))
        meter = bar.format_meter(
            bar.n, bar.total, 0.5, unit=bar.unit, unit_scale=True, unit_divisor=1024
        )
    assert "4.82M/4.82M" in meter
    assert "MiB/s" in meter


def test_progress_setting_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """inductiva.progress overrides INDUCTIVA_PROGRESS, which overrides the default."""
    monkeypatch.setattr(sys, "stderr", FakeStderr(terminal=True))
    assert _enabled()
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "0")
    assert not _enabled()
    monkeypatch.setattr(inductiva, "progress", True)
    assert _enabled()


def test_bars_default_to_off_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Piped stderr gets no bar by default; INDUCTIVA_PROGRESS=1 or inductiva.progress forces it."""
    for terminal in (False, True):
        stderr = FakeStderr(terminal)
        monkeypatch.setattr(sys, "stderr", stderr)
        with byte_bar(1000, desc="Downloading", progress=resolve_settings().progress) as bar:
            bar.update(1000)
        assert ("Downloading" in stderr.getvalue()) is terminal
    monkeypatch.setattr(sys, "stderr", FakeStderr(terminal=False))
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "yes")
    assert _enabled()
    monkeypatch.delenv("INDUCTIVA_PROGRESS")
    monkeypatch.setattr(inductiva, "progress", True)
    assert _enabled()


def test_bars_use_tqdm_auto_and_show_in_notebooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """In Jupyter, bars are on by default and come from tqdm.auto (widgets)."""
    import types

    import tqdm.auto

    from inductiva._transfers import _progress

    monkeypatch.setattr(sys, "stderr", FakeStderr(terminal=False))
    assert not _enabled()

    class ZMQInteractiveShell:
        """Stands for the Jupyter kernel's shell."""

    fake = types.SimpleNamespace(get_ipython=ZMQInteractiveShell)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert _enabled()
    with _progress.byte_bar(10, progress=True) as bar:
        assert isinstance(bar, tqdm.auto.tqdm)


def test_text_bars_come_from_plain_tqdm_and_hidden_ones_import_nothing() -> None:
    """Outside a notebook a bar is tqdm's text one; a hidden bar counts without importing tqdm."""
    code = (
        "import sys; from inductiva._transfers import _progress\n"
        "bar = _progress.byte_bar(10, progress=False); bar.update(4)\n"
        "print('tqdm' in sys.modules, bar.n)\n"
        "with _progress.byte_bar(10, progress=True) as shown: pass\n"
        "print(type(shown).__module__, 'asyncio' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "4", "tqdm.std", "False"]


def test_client_progress_beats_module_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """inductiva.Client(progress=False) hides bars for its own transfers, not the default's."""
    monkeypatch.setattr(inductiva, "progress", True)
    monkeypatch.setattr(inductiva, "api_key", "k")
    client = inductiva.Client(api_key="k", progress=False)
    assert not progress_enabled(client._core.session().settings.progress)
    assert progress_enabled(inductiva._http.default_core().session().settings.progress)
