"""Outputs of XBeach (``sw.xbeach.run_simulation``): ``xboutput.nc`` and the logs."""

from __future__ import annotations

import attrs

from .._outputs import TaskOutput
from ._binary import malformed, read_text
from ._netcdf import NcVariable, NetCDF, read_netcdf

__all__ = ["XBeachOutput"]


@attrs.frozen
class XBeachOutput(TaskOutput):
    """An XBeach run: its NetCDF results and its log."""

    def results(self) -> NetCDF:
        """Everything in ``xboutput.nc`` (dimensions, attributes, variables)."""
        return read_netcdf(self.path / "xboutput.nc")

    def variable(self, name: str) -> NcVariable:
        """Variable *name* of ``xboutput.nc`` (``zs``, ``H``, ``globaltime``, ...)."""
        variables = self.results().variables
        if name not in variables:
            known = ", ".join(sorted(variables))
            raise malformed(self.path / "xboutput.nc", f"no variable {name!r}; it has {known}")
        return variables[name]

    def log(self) -> str:
        """XBeach's log, ``XBlog.txt``."""
        return read_text(self.path / "XBlog.txt")
