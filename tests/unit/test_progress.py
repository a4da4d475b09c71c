"""Progress bars: binary units as in the seed, and the on/off setting."""

from __future__ import annotations

import pytest

import inductiva
from inductiva._progress import byte_bar, progress_enabled


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
    """inductiva.progress overrides INDUCTIVA_PROGRESS, which overrides the default (on)."""
    monkeypatch.setattr(inductiva, "progress", None)
    monkeypatch.delenv("INDUCTIVA_PROGRESS", raising=False)
    assert progress_enabled()
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "0")
    assert not progress_enabled()
    monkeypatch.setattr(inductiva, "progress", True)
    assert progress_enabled()
