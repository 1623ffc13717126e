"""The written tables, lexer and LALR driver give what Lark's own lexer and parser give, token for token."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import lark
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.syntax import parser as syntax
from gradcli.syntax import table_maker
from gradcli.syntax.grammar_tables import TABLES
from gradcli.syntax.lark_parser import lark_parser
from gradcli.syntax.parser import node_builder, parse

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
    "x = [1, 2, 3, 4]; x[1:]; x[:2]; x[::]; x[:]; x[1::2]; x[:3:]; scatter(1, x, [:2]); scatter(1, x, [::2])",
    "elu(x, alpha=0.5) + max(x, 0)",
    "x = 1\nx = x + 1  # rebinding\nx",
    "[x**2 + y, x*y]",
    "[x, y,]; sum([1, 2,]); max(x, y,)",
    "\n;\n x\n;;",
    "sin(x",
    "x $ y",
    "f(x) = 2",
    "x = [1, 2]; x[5:1:0]",
    "sqrt(x, y)",
]


BOUNDS = [f"{a}:{b}{c}" for a in ("", "1") for b in ("", "3") for c in ("", ":", ":2")]
EVERY_FORM = [
    "x = [1, 2, 3, 4, 5]\n" + "; ".join(f"x[{s}]" for s in BOUNDS) + "; x[0,]; x[0, 1:]; x[:, 0,]",
    "x = [1, 2, 3, 4, 5]\n" + "; ".join(f"scatter(1, x, [{s}])" for s in BOUNDS),
    "x - y; x − y; -x; −x; +x; x / y; x ÷ y; x // y; x % y; x * y; x × y; x · y; x ⋅ y",
    "x\n",
    "\nx",
    "\n\na = 1\n\nb = 2\n",
    "\n\nx\n\n",
    "a = 1\nb = 2\n\nc = 3",
    "\na = 1\nb = 2\n\nc = 3\n",
    "max(x, y,); sum(x,); elu(x, alpha=1,); max(x, y, 1); max(x, y, 1,)",
    "x = [[[1]]]; x[0, 0, 0]; x[0, 0, 0,]",
    "a = 1\nb = 2\n",
    "\na = 1\nb = 2",
    "elu(alpha=1)",
    "elu(alpha=1,)",
    "elu(alpha=1, x)",
    "elu(alpha=1, x,)",
    "elu(x, y, alpha=1)",
    "pi()",
    "[x]; [x,]",
]


def _token(token):
    if token is None:
        return None
    fields = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")
    return tuple(getattr(token, field) for field in fields)


def _texts():
    return [path.read_text(encoding="utf-8") for path in EXAMPLES] + SNIPPETS + EVERY_FORM


def _lark():
    return lark_parser(node_builder())


def test_the_written_tables_are_those_lark_builds_from_the_grammar_file():
    """Stale tables (the grammar changed, or Lark did) fail here: run python tools/write_grammar_tables.py."""
    fresh = table_maker.grammar_tables(node_builder())
    assert TABLES["grammar"] == fresh["grammar"], "the grammar changed: run python tools/write_grammar_tables.py"
    if TABLES["lark_version"] != lark.__version__:
        pytest.skip(f"tables written by Lark {TABLES['lark_version']}, this is {lark.__version__}: compared by parsing")
    assert TABLES == fresh
    assert table_maker.TABLES_PATH.read_text(encoding="utf-8") == table_maker.module_text(fresh)


def test_the_master_regex_is_lark_s():
    lexer, _ = syntax._fast()
    (lark_regex,) = _lark().parser.lexer.lexer.scanner._mres
    assert lexer.master.pattern == lark_regex.pattern


@pytest.mark.parametrize("text", _texts())
def test_tokens_are_lark_s(text):
    lexer, _ = syntax._fast()
    kinds, values, complete = lexer.lex(text)
    try:
        theirs = list(_lark().lex(text))
    except Exception:  # noqa: BLE001 - Lark's lexer fails where ours stops
        assert not complete
        return
    assert complete
    assert kinds == [t.type for t in theirs]
    assert [_token(v) for v in values] == [_token(t) if t.type in lexer.kept else None for t in theirs]


def _lark_statements(source: str) -> list:
    from gradcli.syntax.syntax_errors import parse_with_lark

    return parse_with_lark(node_builder(), source)


def _program(text: str, monkeypatch, lark_only: bool):
    if lark_only:
        monkeypatch.setattr(syntax, "_statements", _lark_statements)
    try:
        program = parse(text)
    except Exception as error:  # noqa: BLE001 - the error is what is compared
        return type(error).__name__, str(error)
    finally:
        monkeypatch.undo()
    graph = program.graph
    params = [p.tobytes() if isinstance(p, np.ndarray) else p for p in graph.params]
    fields = (program.outputs, program.output_names, program.inputs, program.labels, program.size)
    more = (program.bound, program.unread, program.shadowed, program.positions, repr(program.defaults))
    return [op.name for op in graph.ops], graph.args, repr(params), fields, more


@pytest.mark.parametrize("text", _texts())
def test_programs_and_errors_are_lark_s(text, monkeypatch):
    assert _program(text, monkeypatch, False) == _program(text, monkeypatch, True)


# Pieces of programs, well formed or not: names, numbers, every operator and its typographic
# spelling, brackets, separators, line continuations, comments, characters no terminal matches.
PIECES = [
    *"x y a sin max sum elu alpha axis None T pi π e".split(),
    *"1 2.5 .5 1e3 3. 0".split(),
    *"+ - * / ** ^ // % @ × · ⋅ ÷ − < <= == != ≥ ≤ ≠ ( ) [ ] , : = . ;".split(),
    " ",
    "\n",
    "\r\n",
    "\\\n",
    "# note\n",
    "$",
    "²",
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=24), spaced=st.booleans())
def test_random_text_parses_as_lark_parses_it(pieces, spaced, monkeypatch):
    """Any text: the same program, or the same error with the same message, as Lark's own parser gives."""
    text = (" " if spaced else "").join(pieces)
    assert _program(text, monkeypatch, False) == _program(text, monkeypatch, True)


def test_every_rule_of_the_grammar_is_reduced_by_some_program(monkeypatch):
    """The comparison above covers every reduction the tables hold, so each form of call is checked."""
    driver = syntax._fast()[1]
    used = set()
    original = driver.reductions
    counting = [r._replace(build=_counted(i, r.build, used)) if r.build else r for i, r in enumerate(original)]
    monkeypatch.setattr(driver, "reductions", counting)
    for text in _texts():
        try:
            parse(text)
        except Exception:  # noqa: BLE001, S112 - programs with errors still reduce rules
            continue
    calls = {i for i, r in enumerate(original) if r.build}
    assert calls - used == set()


def _counted(i, build, used):
    def counted(children):
        used.add(i)
        return build(children)

    return counted


def test_deep_nesting_parses_without_recursion():
    depth = 30_000
    program = parse("y0 = 0.5\n" + "sin(" * depth + "y0" + ")" * depth)
    assert program.size == depth + 1


def test_a_changed_grammar_is_parsed_from_tables_lark_builds_then(monkeypatch):
    """Edit the grammar without writing the tables again: the parser asks Lark for them."""
    monkeypatch.setattr(syntax, "_FAST", None)
    monkeypatch.setitem(TABLES, "grammar", TABLES["grammar"] + "// changed\n")
    built = []
    real = table_maker.grammar_tables
    monkeypatch.setattr(table_maker, "grammar_tables", lambda builder: built.append(1) or real(builder))
    program = parse("a = x*3; b = a + 1\nc = b**2 + sin(a)")
    assert built == [1]
    assert [op.name for op in program.graph.ops] == ["var", "const", "mul", "const", "add", "powc", "sin", "add"]


def test_a_lark_whose_internals_differ_parses_by_itself(monkeypatch):
    """Where the tables cannot be read out of Lark, Lark's own parser gives the same program."""
    monkeypatch.setattr(syntax, "_FAST", None)
    monkeypatch.setitem(TABLES, "grammar", "")
    monkeypatch.setattr(table_maker, "grammar_tables", lambda builder: (_ for _ in ()).throw(ValueError("Lark 9")))
    assert syntax._fast() is None
    text = "a = x*3; b = a + 1\nc = b**2 + sin(a)"
    lark_only = parse(text)
    monkeypatch.undo()
    fast = parse(text)
    assert [op.name for op in lark_only.graph.ops] == [op.name for op in fast.graph.ops]
    for field in ("positions", "labels", "inputs"):
        assert getattr(lark_only, field) == getattr(fast, field)
    assert lark_only.graph.args == fast.graph.args


def test_a_program_parses_without_loading_lark():
    code = "import sys; from gradcli import parse; parse('(3*x + 2)**2'); print('lark' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
