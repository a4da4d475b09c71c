"""A stateful, spec-validated local mock of the Inductiva API (`python -m inductiva_mock`)."""

from inductiva_api.contract import __version__

__all__ = ["__version__"]
