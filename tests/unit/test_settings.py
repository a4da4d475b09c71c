"""inductiva._http._settings: argument > inductiva.<name> > INDUCTIVA_<NAME> > default, every
value checked before any request with a ConfigurationError naming the setting."""

from __future__ import annotations

import logging

import pytest

import inductiva
from inductiva import errors
from inductiva._http import resolve_settings

CANARY = "CANARY-k3y-0123456789abcdef"


def test_env_settings_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """INDUCTIVA_API_KEY / INDUCTIVA_API_URL configure the client."""
    monkeypatch.setenv("INDUCTIVA_API_KEY", "env-key")
    monkeypatch.setenv("INDUCTIVA_API_URL", "http://env.test/")
    settings = resolve_settings()
    assert (settings.api_key, settings.api_url) == ("env-key", "http://env.test")


def test_module_attributes_beat_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """inductiva.api_key / api_url win over the environment."""
    monkeypatch.setenv("INDUCTIVA_API_KEY", "env-key")
    monkeypatch.setattr(inductiva, "api_key", "attr-key")
    monkeypatch.setattr(inductiva, "api_url", "http://attr.test")
    settings = resolve_settings()
    assert (settings.api_key, settings.api_url) == ("attr-key", "http://attr.test")


def test_arguments_beat_module_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    """An argument (a Client's) beats inductiva.<name>, which beats INDUCTIVA_<NAME>."""
    monkeypatch.setenv("INDUCTIVA_TIMEOUT", "7")
    monkeypatch.setattr(inductiva, "timeout", 8.0)
    assert resolve_settings(timeout=9.0).timeout == 9.0
    assert resolve_settings().timeout == 8.0
    monkeypatch.setattr(inductiva, "timeout", None)
    assert resolve_settings().timeout == 7.0


def test_defaults() -> None:
    """Nothing set: the public API's URL, 60 s, 4 retries, 4 download connections, no key."""
    settings = resolve_settings()
    assert (settings.api_key, settings.api_url) == (None, "https://api.inductiva.ai")
    assert (settings.timeout, settings.max_retries, settings.download_connections) == (60.0, 4, 4)
    assert settings.progress is None


def test_max_retries_env_and_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    """INDUCTIVA_MAX_RETRIES sets attempts; inductiva.max_retries overrides it."""
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "1")
    assert resolve_settings().retry_policy.max_attempts == 2
    monkeypatch.setattr(inductiva, "max_retries", 3)
    assert resolve_settings().retry_policy.max_attempts == 4


def test_invalid_retry_settings_are_configuration_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Non-numeric or negative settings raise ConfigurationError naming the variable."""
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "many")
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_MAX_RETRIES"):
        resolve_settings()
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "-1")
    with pytest.raises(errors.ConfigurationError, match="max_retries"):
        resolve_settings()
    monkeypatch.delenv("INDUCTIVA_MAX_RETRIES")
    monkeypatch.setenv("INDUCTIVA_TIMEOUT", "0")
    with pytest.raises(errors.ConfigurationError, match="timeout"):
        resolve_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timeout", "fast"),
        ("timeout", float("nan")),
        ("timeout", float("inf")),
        ("timeout", True),
        ("max_retries", 2.5),
        ("max_retries", True),
        ("max_retries", "3"),
        ("max_retries", 101),
    ],
)
def test_invalid_setting_attributes_are_configuration_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, value: object
) -> None:
    """Wrong types, NaN, infinity or too many retries on inductiva.* say what fits."""
    monkeypatch.setattr(inductiva, name, value)
    with pytest.raises(errors.ConfigurationError, match=f"{name} must be"):
        resolve_settings()


def test_non_finite_timeout_environment_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """INDUCTIVA_TIMEOUT=nan or inf parses as a float but is refused."""
    for raw in ("nan", "inf"):
        monkeypatch.setenv("INDUCTIVA_TIMEOUT", raw)
        with pytest.raises(errors.ConfigurationError, match="finite number of seconds"):
            resolve_settings()


@pytest.mark.parametrize("value", [10**400, float("nan"), 1e300])
def test_huge_timeout_setting_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, value: object
) -> None:
    """inductiva.timeout=10**400 is a ConfigurationError, not an OverflowError."""
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "timeout", value)
    with pytest.raises(errors.ConfigurationError, match="timeout"):
        resolve_settings()


@pytest.mark.parametrize("bad", [0, -2, 1.5, "4", True])
def test_download_connections_must_be_a_positive_integer(bad: object) -> None:
    """download_connections outside integers >= 1 is a ConfigurationError saying what fits."""
    with pytest.raises(errors.ConfigurationError, match=r"integer >= 1 \(1 = one stream"):
        resolve_settings(download_connections=bad)  # type: ignore[arg-type]


def test_download_connections_resolve_argument_module_env_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """download_connections: the argument, then inductiva.<name>, then env, then 4."""
    assert resolve_settings().download_connections == 4
    monkeypatch.setenv("INDUCTIVA_DOWNLOAD_CONNECTIONS", "3")
    assert resolve_settings().download_connections == 3
    monkeypatch.setattr(inductiva, "download_connections", 2)
    assert resolve_settings().download_connections == 2
    assert resolve_settings(download_connections=6).download_connections == 6
    monkeypatch.setattr(inductiva, "download_connections", 0)
    with pytest.raises(errors.ConfigurationError, match="download_connections"):
        resolve_settings()
    monkeypatch.setenv("INDUCTIVA_DOWNLOAD_CONNECTIONS", "many")
    monkeypatch.setattr(inductiva, "download_connections", None)
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_DOWNLOAD_CONNECTIONS"):
        resolve_settings()


@pytest.mark.parametrize("bad", [1023, 0, 2.5, True, "big"])
def test_max_response_bytes_must_be_at_least_1024(bad: object) -> None:
    """max_response_bytes below 1024 bytes, or not a whole number, is a ConfigurationError."""
    with pytest.raises(errors.ConfigurationError, match="max_response_bytes must be a whole"):
        resolve_settings(max_response_bytes=bad)  # type: ignore[arg-type]


# -- the API key --------------------------------------------------------------------------


def test_key_with_a_trailing_newline_is_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key read from a file ("KEY\\n") is sent without the newline."""
    monkeypatch.setattr(inductiva, "api_key", f"  {CANARY}\n")
    assert resolve_settings().api_key == CANARY


@pytest.mark.parametrize("bad", [f"{CANARY}\x00x", f"{CANARY}é", f"ab cd{CANARY}", "\x1b[31m"])
def test_key_with_control_or_non_ascii_chars_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    """Inner control, space or non-ASCII characters: ConfigurationError not holding the key."""
    monkeypatch.setattr(inductiva, "api_key", bad)
    with pytest.raises(errors.ConfigurationError) as info:
        resolve_settings()
    assert CANARY not in str(info.value) and bad not in str(info.value)


def test_key_of_another_type_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """inductiva.api_key = 123 is a ConfigurationError naming the expected type."""
    monkeypatch.setattr(inductiva, "api_key", 123)
    with pytest.raises(errors.ConfigurationError, match="api_key must be a string"):
        resolve_settings()


def test_settings_repr_hides_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """repr() and str() of the settings never show the key."""
    monkeypatch.setattr(inductiva, "api_key", CANARY)
    settings = resolve_settings()
    assert settings.api_key == CANARY
    assert CANARY not in repr(settings) and CANARY not in str(settings)


# -- the API URL --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://host:99999", "ftp://x", "http://", "https://a b", "x\x1b"]
)
def test_malformed_api_urls_are_configuration_errors(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """Malformed URLs give ConfigurationError naming INDUCTIVA_API_URL, never a raw exception."""
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", url)
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_API_URL") as info:
        resolve_settings()
    assert "\x1b" not in str(info.value)


def test_plain_http_to_a_remote_host_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """http:// to a non-loopback host logs one warning; loopback and https never warn."""
    monkeypatch.setattr(inductiva, "api_key", "k")
    with caplog.at_level(logging.WARNING, logger="inductiva"):
        for url in ("http://api.example", "http://api.example", "http://127.0.0.1:1", "https://x"):
            monkeypatch.setattr(inductiva, "api_url", url)
            resolve_settings()
    warnings_ = [r for r in caplog.records if "plain http://" in r.getMessage()]
    assert len(warnings_) == 1


# -- progress -----------------------------------------------------------------------------


def test_progress_resolves_argument_module_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """progress: the argument, then inductiva.progress, then INDUCTIVA_PROGRESS, else None."""
    assert resolve_settings().progress is None
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "0")
    assert resolve_settings().progress is False
    monkeypatch.setattr(inductiva, "progress", True)
    assert resolve_settings().progress is True
    assert resolve_settings(progress=False).progress is False


def test_invalid_progress_environment_names_the_allowed_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """INDUCTIVA_PROGRESS=maybe is a ConfigurationError listing what is accepted."""
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "maybe")
    with pytest.raises(errors.ConfigurationError, match="0/false/no/off"):
        resolve_settings()


@pytest.mark.parametrize("value", ["no", "0", 1, "off"])
def test_non_bool_progress_attribute_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, value: object
) -> None:
    """inductiva.progress must be True, False or None; anything else names those choices."""
    monkeypatch.setattr(inductiva, "progress", value)
    with pytest.raises(errors.ConfigurationError, match="expected True"):
        resolve_settings()
