"""Lark's tables for the grammar file, as plain data that parses without loading Lark.

Lark builds the LALR table, the terminals and the reduction callbacks from the grammar
file; this module reads them out of a Lark parser as numbers, strings and tuples:

- the terminals in Lark's order, each with its regular expression and what the lexer does
  with it (keeps it as a token, passes only its name, ignores it, counts its new lines);
- each state's row: the next state (a shift, or a goto), ``~i`` to reduce the i-th rule,
  or ``PASS + j`` for the j-th run of rules that pass their only child along (``atom`` to
  ``power`` to ... ``sum``), and where each run ends above each state;
- each rule's reduction: how many values it pops, its nonterminal, and the call Lark
  would make, as a builder method's name and the children Lark's filter keeps.

``python tools/write_grammar_tables.py`` writes :mod:`gradcli.syntax.grammar_tables` after
the grammar changes; a test fails while that file is stale.
"""

from __future__ import annotations

import pprint
from functools import partial
from pathlib import Path

import lark
from lark import Lark
from lark.parse_tree_builder import ChildFilter, ChildFilterLALR_NoPlaceholders, ExpandSingleChild
from lark.parsers.lalr_analysis import Shift

from gradcli.syntax.grammar import grammar_text
from gradcli.syntax.lark_parser import lark_parser

PASS = 1 << 24  # codes from here on are runs of passing reductions (states and rules are fewer)
KEPT, FILTERED, IGNORED, LINES = "kept", "filtered", "ignored", "lines"  # what the lexer does with a terminal
TABLES_PATH = Path(__file__).with_name("grammar_tables.py")


def grammar_tables(builder: object) -> dict:
    """The tables of Lark's parser of the grammar file with ``builder``'s methods as callbacks, as plain data."""
    parser = lark_parser(builder)
    tables = {"grammar": grammar_text(), "lark_version": lark.__version__, **_lexer_tables(parser)}
    tables.update(_parser_tables(parser, builder))
    return tables


def _lexer_tables(parser: Lark) -> dict:
    basic = parser.parser.lexer.lexer  # the BasicLexer inside the postlexer's connector
    basic.scanner  # noqa: B018 - builds the lexer's callbacks, which must be none
    if basic.callback:
        raise ValueError("terminals with lexer callbacks are not supported")
    kept = _kept_terminals(parser)
    joining = parser.options.postlex
    return {
        "terminals": [(t.name, t.pattern.to_regexp()) for t in basic.terminals],
        "flags": int(basic.g_regex_flags),
        "roles": {t.name: _role(t.name, kept, basic) for t in basic.terminals},
        "kept": sorted(kept),
        "ignored": sorted(basic.ignore_types),
        "joining": (tuple(joining.opening), tuple(joining.closing), joining.joined, joining.separator),
    }


def _kept_terminals(parser: Lark) -> frozenset[str]:
    """Terminals some rule keeps as a child (the others are filtered out of every rule)."""
    return frozenset(
        symbol.name
        for rule in parser.rules
        for symbol in rule.expansion
        if symbol.is_term and (rule.options.keep_all_tokens or not symbol.filter_out)
    )


def _role(name: str, kept: frozenset[str], basic) -> str:
    """What the lexer does with a terminal; one that may hold new lines takes the slow path."""
    if name in basic.newline_types:
        return LINES
    if name in basic.ignore_types:
        return IGNORED
    return KEPT if name in kept else FILTERED


def _parser_tables(parser: Lark, builder: object) -> dict:
    lalr = parser.parser.parser.parser  # ParsingFrontend -> LALR_Parser -> _Parser
    table, callbacks = lalr.parse_table, lalr.callbacks
    (start,) = parser.options.start
    if sorted(table.states) != list(range(len(table.states))):
        raise ValueError("the parse table's states are not numbered 0 to n - 1")
    rules: dict = {}
    actions = [_actions(table.states[state], rules) for state in range(len(table.states))]
    reductions = [_reduction(rule, callbacks[rule], builder) for rule in rules]
    skips = _skip_passes(actions, reductions)
    return {
        "start": table.start_states[start],
        "end": table.end_states[start],
        "actions": actions,
        "skips": skips,
        "rules": reductions,
    }


def _actions(row: dict, rules: dict) -> dict[str, int]:
    """A state's row: the next state (a shift, or a goto), or ``~i`` to reduce the i-th rule of ``rules``."""
    return {
        symbol: argument if action is Shift else ~rules.setdefault(argument, len(rules))
        for symbol, (action, argument) in row.items()
    }


def _reduction(rule, callback, builder_object: object) -> tuple:
    """``(size, nonterminal, form, method, detail)``: the cheapest call that gives what Lark's callback gives.

    Forms: ``"pass"`` (the only child, unchanged); ``"call"`` (the method, with the children
    at ``detail`` deleted, last first; ``"_only"`` is the one child kept); ``"filter"`` (Lark's
    filter in full: ``detail`` is the kept children as ``(index, inline it, Nones before)``,
    the Nones after, whether one child passes alone, and the name of an inlined rule's node).
    """
    size, origin = len(rule.expansion), rule.origin.name
    include, append_none, builder = None, 0, callback
    if isinstance(callback, ChildFilter):
        three = callback.__class__ is not ChildFilterLALR_NoPlaceholders
        include = tuple((i, bool(expand), rest[0] if three else 0) for i, expand, *rest in callback.to_include)
        append_none = getattr(callback, "append_none", 0) if three else 0
        builder = callback.node_builder
    single = builder.__class__ is ExpandSingleChild
    if single:
        builder = builder.node_builder
    method = _method_name(rule) if getattr(builder, "__self__", None) is builder_object else None
    tree = None if method else _tree_name(builder)
    if include is None and single and size == 1:
        return (size, origin, "pass", None, ())
    plain = include is None or not (append_none or any(expand or nones for _, expand, nones in include))
    if plain and method:
        kept = [i for i, _, _ in include] if include is not None else list(range(size))
        drops = tuple(i for i in reversed(range(size)) if i not in kept)
        if single and len(kept) == 1:
            return (size, origin, "call", "_only", drops)
        if not single or len(kept) > 1:
            return (size, origin, "call", method, drops)
    include = include if include is not None else tuple((i, False, 0) for i in range(size))
    return (size, origin, "filter", method, (include, append_none, single, tree))


def _method_name(rule) -> str:
    """The builder method Lark calls for ``rule``: its alias, else its nonterminal's name."""
    return rule.alias or rule.options.template_source or rule.origin.name


def _tree_name(builder) -> str:
    """The rule name of Lark's default callback (a tree for an inlined rule, which its parent opens)."""
    if isinstance(builder, partial) and len(builder.args) == 1 and isinstance(builder.args[0], str):
        return builder.args[0]
    raise ValueError(f"a reduction callback this module does not know: {builder!r}")


def _skip_passes(actions: list[dict[str, int]], reductions: list[tuple]) -> list[dict[int, int]]:
    """Each run of reductions that pass their child along, as one step: a reduction's code in a row
    becomes ``PASS + j``, and ``skips[under][PASS + j]`` is the state the run ends in when ``under``
    is the state below. A run pops no state below the first, so where it ends depends only on that
    state, the rule and the lookahead."""
    runs: dict[tuple[str, str], int] = {}
    for row in actions:
        for kind, action in row.items():
            size, origin, form, _, _ = reductions[~action] if action < 0 else (0, "", "", None, ())
            if form == "pass":
                row[kind] = PASS + runs.setdefault((origin, kind), len(runs))
    origins = {PASS + j: origin for (origin, _), j in runs.items()}
    skips = []
    for row in actions:
        ends = {PASS + j: _run_end(actions, row, origin, kind, origins) for (origin, kind), j in runs.items()}
        skips.append({code: state for code, state in ends.items() if state >= 0})
    return skips


def _run_end(actions: list, under: dict[str, int], origin: str, kind: str, origins: dict[int, str]) -> int:
    """Where a run of passing reductions ends (-1: nowhere): goto on ``origin`` while ``kind`` reduces again."""
    state = under.get(origin, -1)
    while state >= 0 and actions[state].get(kind, -1) >= PASS:
        state = under.get(origins[actions[state][kind]], -1)
    return state


def module_text(tables: dict) -> str:
    """The text of :mod:`gradcli.syntax.grammar_tables` for ``tables``."""
    header = (
        '"""The grammar file\'s LALR tables, as Lark builds them. Written by\n'
        '``python tools/write_grammar_tables.py``; do not edit."""\n\n'
        "# fmt: off\n"
        "# ruff: noqa: E501\n"
    )
    return header + "TABLES = {\n" + "".join(_entry(key, value) for key, value in tables.items()) + "}\n"


def _entry(key: str, value: object) -> str:
    """One key of the tables: a list one item a line (a state's row, a rule), anything else as it prints."""
    if isinstance(value, list) and value and isinstance(value[0], dict | tuple):
        return f"    {key!r}: [\n" + "".join(f"        {item!r},\n" for item in value) + "    ],\n"
    return f"    {key!r}: {pprint.pformat(value, width=110, sort_dicts=False)},\n"
