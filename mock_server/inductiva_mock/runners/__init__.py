"""Simulator runners, each executed as `python -m inductiva_mock.runners.<name>`."""
