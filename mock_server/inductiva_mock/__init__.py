"""A stateful, spec-validated local mock of the Inductiva API (`python -m inductiva_mock`)."""

__version__ = "0.4.0"
