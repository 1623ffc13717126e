"""The fast lexer and LALR driver give what Lark's own lexer and parser give, token for token."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gradcli.syntax import parser as syntax
from gradcli.syntax.parser import parse


@pytest.fixture(autouse=True)
def fast_path_for_every_length(monkeypatch):
    """Our lexer and driver serve long programs only; here they parse every program."""
    monkeypatch.setattr(syntax, "FAST_FROM", 0)


EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.grad"))
SNIPPETS = [
    "",
    "\n\n",
    "# a comment only\n",
    "x = 1; y = 2\\\n + x\r\nsum([x, y], axis=0)",
    "a = [1, 2,\n 3]\nb = a[0:2:1]\n(a\n + 1)[1]",
    "(x;\n y)",
    "w = 0.5\nloss = (w*x − 2)² ",
    "x = [[1, 2], [3, 4]]; x.T @ x",
    "π·x ÷ 2 × 3 ⋅ y ≤ 1",
    "scatter(1, x, [1:3]); x[:, 0]; x[::2]",
    "elu(x, alpha=0.5) + max(x, 0)",
    "x = 1\nx = x + 1  # rebinding\nx",
    "[x**2 + y, x*y]",
    "sin(x",
    "x $ y",
    "f(x) = 2",
]


def _token(token):
    if token is None:
        return None
    fields = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")
    return tuple(getattr(token, field) for field in fields)


def _texts():
    return [path.read_text(encoding="utf-8") for path in EXAMPLES] + SNIPPETS


def test_the_master_regex_is_lark_s():
    lexer, _ = syntax._fast()
    (lark_regex,) = syntax._parser().parser.lexer.lexer.scanner._mres
    assert lexer.master.pattern == lark_regex.pattern


@pytest.mark.parametrize("text", _texts())
def test_tokens_are_lark_s(text):
    lexer, _ = syntax._fast()
    kinds, values, complete = lexer.lex(text)
    try:
        theirs = list(syntax._parser().lex(text))
    except Exception:  # noqa: BLE001 - Lark's lexer fails where ours stops
        assert not complete
        return
    assert complete
    assert kinds == [t.type for t in theirs]
    assert [_token(v) for v in values] == [_token(t) if t.type in lexer.kept else None for t in theirs]


def _program(text: str, monkeypatch, lark_only: bool):
    if lark_only:
        monkeypatch.setattr(syntax, "_statements", lambda parser, source: parser.parse(source))
    try:
        program = parse(text)
    except Exception as error:  # noqa: BLE001 - the error is what is compared
        return type(error).__name__, str(error)
    finally:
        monkeypatch.undo()
        monkeypatch.setattr(syntax, "FAST_FROM", 0)
    graph = program.graph
    params = [p.tobytes() if isinstance(p, np.ndarray) else p for p in graph.params]
    fields = (program.outputs, program.output_names, program.inputs, program.labels, program.size)
    more = (program.bound, program.unread, program.shadowed, program.positions, repr(program.defaults))
    return [op.name for op in graph.ops], graph.args, repr(params), fields, more


@pytest.mark.parametrize("text", _texts())
def test_programs_and_errors_are_lark_s(text, monkeypatch):
    assert _program(text, monkeypatch, False) == _program(text, monkeypatch, True)


def test_deep_nesting_parses_without_recursion():
    depth = 30_000
    program = parse("y0 = 0.5\n" + "sin(" * depth + "y0" + ")" * depth)
    assert program.size == depth + 1


def test_a_lark_whose_internals_differ_parses_by_itself(monkeypatch):
    """The fast path reads Lark 1.3's tables; where it cannot, Lark's own parser gives the same program."""
    monkeypatch.setattr(syntax, "_FAST", None)
    monkeypatch.setattr(syntax, "LalrDriver", lambda parser: (_ for _ in ()).throw(ValueError("another Lark")))
    assert syntax._fast() is None
    text = "a = x*3; b = a + 1\nc = b**2 + sin(a)"
    lark_only = parse(text)
    monkeypatch.undo()
    monkeypatch.setattr(syntax, "FAST_FROM", 0)
    fast = parse(text)
    assert [op.name for op in lark_only.graph.ops] == [op.name for op in fast.graph.ops]
    for field in ("positions", "labels", "inputs"):
        assert getattr(lark_only, field) == getattr(fast, field)
    assert lark_only.graph.args == fast.graph.args


def test_a_short_program_is_parsed_by_lark_alone_and_a_long_one_by_ours(monkeypatch):
    monkeypatch.setattr(syntax, "FAST_FROM", 8_000)
    used = []
    monkeypatch.setattr(syntax, "_fast", lambda: used.append(True) or None)
    parse("(3*x + 2)**2")
    assert used == []
    parse("x = 1\n" + "x = x + 1\n" * 1_000 + "x")
    assert used == [True]
