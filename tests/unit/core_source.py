"""Core's source read as syntax: the field names its ``InvalidArgument`` errors carry.

A field is named in one of three ways, and each is collected: a literal first argument
(``InvalidArgument("size", …)``), a literal in a table a loop picks the field from
(``for field, port in (("from_port", low), …)``), or the default of a ``field`` parameter
(``parse_cidr(value, *, field="cidr_block")``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _from_call(node: ast.Call) -> Iterator[str]:
    is_refusal = isinstance(node.func, ast.Name) and node.func.id == "InvalidArgument"
    if is_refusal and node.args and (name := _literal(node.args[0])) is not None:
        yield name


def _from_loop(node: ast.For) -> Iterator[str]:
    if not isinstance(node.target, ast.Tuple) or not isinstance(node.iter, ast.Tuple | ast.List):
        return
    slots = [
        i for i, t in enumerate(node.target.elts) if isinstance(t, ast.Name) and t.id == "field"
    ]
    for row in node.iter.elts:
        if isinstance(row, ast.Tuple):
            yield from (name for i in slots if (name := _literal(row.elts[i])) is not None)


def _from_defaults(node: ast.arguments) -> Iterator[str]:
    positional = node.posonlyargs + node.args
    pairs = [
        *zip(positional[len(positional) - len(node.defaults) :], node.defaults, strict=True),
        *((a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True) if d is not None),
    ]
    yield from (
        name for arg, default in pairs if arg.arg == "field" and (name := _literal(default))
    )


def invalid_argument_fields() -> dict[str, list[str]]:
    """Every field name core's ``InvalidArgument`` errors carry, with where each is named."""
    found: dict[str, list[str]] = {}
    for path in sorted(CORE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                names = _from_call(node)
            elif isinstance(node, ast.For):
                names = _from_loop(node)
            elif isinstance(node, ast.arguments):
                names = _from_defaults(node)
            else:
                continue
            for name in names:
                where = f"{path.relative_to(CORE)}:{getattr(node, 'lineno', 0)}"
                found.setdefault(name, []).append(where)
    return found
