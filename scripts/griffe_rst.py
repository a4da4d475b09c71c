"""Docs build only (mkdocs.yml): read the library's reST docstring markup as Markdown.

The docstrings are written for ``help()`` and IDEs, in the reST habits of the
standard library: ``:class:`~inductiva.Task```-style roles, literal blocks
introduced by ``::`` and simple tables between ``====`` rules. mkdocstrings reads
Markdown, so this griffe extension rewrites, when the API reference is built:

* a role into an optional cross-reference (a link when the target is rendered in
  the reference, plain code otherwise, never a ``--strict`` warning); a name
  without dots is looked up in the enclosing class and module first;
* ``text::`` and its indented block into ``text:`` and a fenced block (Python
  when it parses as Python, plain text otherwise);
* a simple table into a Markdown table.

The library's files are not changed.
"""

from __future__ import annotations

import ast
import functools
import html
import re
import textwrap
from collections.abc import Callable
from typing import Any

import griffe

__all__ = ["RstToMarkdown"]

_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):`(~?)([^`]+)`")
_TABLE_RULE = re.compile(r"^=+( +=+)+\s*$")


def _target(obj: griffe.Object, name: str) -> str:
    """The full path a role's ``name`` refers to, seen from ``obj``'s docstring."""
    head = name.split(".", 1)[0]
    if head in ("inductiva", "inductiva_api", "inductiva_mock"):
        return name
    scope: griffe.Object | None = obj if (obj.is_class or obj.is_module) else obj.parent
    while scope is not None:
        if head in scope.members:
            return f"{scope.path}.{name}"
        scope = scope.parent
    return name


def _roles(obj: griffe.Object, text: str) -> str:
    def link(match: re.Match[str]) -> str:
        short, name = match.group(1), match.group(2).strip()
        shown = name.rsplit(".", 1)[-1] if short else name
        identifier = _target(obj, name.removesuffix("()"))
        return (
            f'<autoref identifier="{html.escape(identifier)}" optional>'
            f"<code>{html.escape(shown)}</code></autoref>"
        )

    return _ROLE.sub(link, text)


def _fence(block: list[str]) -> list[str]:
    body = textwrap.dedent("\n".join(block)).strip("\n")
    try:
        ast.parse(body)
        language = "python"
    except SyntaxError:
        language = "text"
    return [f"```{language}", *body.splitlines(), "```"]


def _table(lines: list[str]) -> list[str]:
    """A simple table (its rules included) as a Markdown table; a row whose first cell is
    empty continues the row above it."""
    starts = [m.start() for m in re.finditer(r"=+", lines[0])]
    ends = [*starts[1:], None]  # a cell runs to the next column's start
    rules = [i for i, line in enumerate(lines) if _TABLE_RULE.match(line)]
    header_end = rules[1] if len(rules) == 3 else 0
    rows: list[list[str]] = []
    header: list[str] = []
    for i, line in enumerate(lines):
        if i in rules:
            continue
        cells = [line[a:b].strip() for a, b in zip(starts, ends, strict=True)]
        target = header if i < header_end else None
        if target is not None:
            header[:] = [
                " ".join(filter(None, pair))
                for pair in zip(header or [""] * len(cells), cells, strict=True)
            ]
        elif rows and not cells[0]:
            rows[-1] = [" ".join(filter(None, pair)) for pair in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    header = header or [""] * len(starts)
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(starts)]
    return [*out, *("| " + " | ".join(row) + " |" for row in rows), ""]


def _blocks(text: str) -> str:
    """Literal blocks (``::``) as fenced blocks, simple tables as Markdown tables."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _TABLE_RULE.match(line):
            end = i + 1
            while end < len(lines) and not _TABLE_RULE.match(lines[end]):
                end += 1
            if end + 1 < len(lines) and lines[end + 1].strip():  # a header rule: one more
                end += 1
                while end < len(lines) and not _TABLE_RULE.match(lines[end]):
                    end += 1
            out += ["", *_table(lines[i : end + 1])]
            i = end + 1
            continue
        stripped = line.strip()
        if stripped.endswith("::"):
            indent = len(line) - len(line.lstrip())
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            block: list[str] = []
            while j < len(lines) and (
                not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
            ):
                block.append(lines[j])
                j += 1
            if block:
                head = line.rstrip()[:-2].rstrip()
                if head.strip():
                    out += [f"{head}:", ""]
                out += [*_fence(block), ""]
                i = j
                continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _outside_fences(text: str, change: Callable[[str], str]) -> str:
    """``change`` applied to the text between fenced blocks only."""
    parts = re.split(r"(^```.*?^```$)", text, flags=re.MULTILINE | re.DOTALL)
    return "".join(part if part.startswith("```") else change(part) for part in parts)


class RstToMarkdown(griffe.Extension):
    """Rewrite every docstring's reST roles, literal blocks and tables as Markdown."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        # Once the whole package is loaded, so a role can be looked up among its members.
        todo: list[griffe.Object] = [pkg]
        while todo:
            obj = todo.pop()
            if obj.docstring is not None:
                text = _blocks(obj.docstring.value)
                obj.docstring.value = _outside_fences(text, functools.partial(_roles, obj))
            todo += [m for m in obj.members.values() if not m.is_alias]
