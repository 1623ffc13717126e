"""Lark's tables for the grammar file as plain data, so that a program parses without loading Lark:
the terminals in Lark's order with their regexes and what the lexer does with each; each state's
row (the next state, ``~i`` to reduce the i-th rule, or ``PASS + j`` for the j-th run of rules that
pass their only child along, with where each run ends above each state); and each rule's call, as
a builder method's name and the children Lark's filter keeps. States are numbered in a fixed order,
so the same grammar gives the same tables. ``python tools/write_grammar_tables.py`` writes them to
:mod:`gradcli.syntax.grammar_tables` after the grammar changes; a test fails while that is stale.
"""

from __future__ import annotations

import pprint
from functools import partial
from pathlib import Path

import lark
from lark import Lark
from lark.parse_tree_builder import ChildFilter, ChildFilterLALR_NoPlaceholders, ExpandSingleChild
from lark.parsers.lalr_analysis import Shift

from gradcli.syntax.fast_lexer import FILTERED, IGNORED, KEPT, LINES
from gradcli.syntax.grammar import grammar_text
from gradcli.syntax.lalr_driver import PASS
from gradcli.syntax.lark_parser import lark_parser

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
        "terminals": [(str(t.name), str(t.pattern.to_regexp())) for t in basic.terminals],
        "flags": int(basic.g_regex_flags),
        "roles": {str(t.name): _role(t.name, kept, basic) for t in basic.terminals},
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
    states = _state_order(table.states, table.start_states[start])
    rules = {rule: i for i, rule in enumerate(parser.rules)}
    actions = [_actions(table.states[state], states, rules) for state in states]
    reductions = [_reduction(rule, callbacks[rule], builder) for rule in rules]
    skips = _skip_passes(actions, reductions)
    return {
        "start": states[table.start_states[start]],
        "end": states[table.end_states[start]],
        "actions": actions,
        "skips": skips,
        "rules": reductions,
    }


def _state_order(rows: dict, start: int) -> dict[int, int]:
    """Lark's state ids (which differ from one process to the next) renumbered in the order a walk
    from the start state reaches them, symbols in sorted order: the same tables every time."""
    order = {start: 0}
    queue = [start]
    for state in queue:
        for symbol in sorted(rows[state]):
            action, argument = rows[state][symbol]
            if action is Shift and argument not in order:
                order[argument] = len(order)
                queue.append(argument)
    if len(order) != len(rows):
        raise ValueError("the parse table has states no walk from the start state reaches")
    return order


def _actions(row: dict, states: dict[int, int], rules: dict) -> dict[str, int]:
    """A state's row, symbols sorted: the next state (a shift, or a goto), or ``~i`` to reduce the i-th rule."""
    return {
        str(symbol): states[argument] if action is Shift else ~rules[argument]
        for symbol, (action, argument) in sorted(row.items())
    }


def _reduction(rule, callback, builder: object) -> tuple:
    """``(size, nonterminal, form, method, detail)``: the cheapest call that gives what Lark's callback gives.
    Forms: ``"pass"`` (the only child, unchanged); ``"call"`` (the method, with the children at ``detail``
    deleted, last first; ``"_only"`` returns the one child kept); ``"filter"`` (Lark's filter in full:
    ``detail`` is the kept children as ``(index, inline it, Nones before)``, the Nones after, whether one
    child passes alone; with no method, the node is an inlined rule's, which its parent opens)."""
    size, origin = len(rule.expansion), str(rule.origin.name)
    include, append_none, inner = None, 0, callback
    if isinstance(callback, ChildFilter):
        placeholders = callback.__class__ is not ChildFilterLALR_NoPlaceholders
        include = tuple((i, bool(inline), rest[0] if placeholders else 0) for i, inline, *rest in callback.to_include)
        append_none = callback.append_none if placeholders else 0
        inner = callback.node_builder
    single = inner.__class__ is ExpandSingleChild
    if single:
        inner = inner.node_builder
    method = _method_name(rule) if getattr(inner, "__self__", None) is builder else None
    if include is None and single and size == 1:
        return (size, origin, "pass", None, ())
    plain = include is None or not (append_none or any(inline or nones for _, inline, nones in include))
    kept = [i for i, _, _ in include] if include is not None else list(range(size))
    drops = tuple(i for i in reversed(range(size)) if i not in kept)
    if plain and single and len(kept) == 1:
        return (size, origin, "call", "_only", drops)
    if plain and method and (not single or len(kept) > 1):
        return (size, origin, "call", method, drops)
    include = include if include is not None else tuple((i, False, 0) for i in range(size))
    if method is None:
        _check_tree_builder(inner)
    return (size, origin, "filter", method, (include, append_none, single))


def _method_name(rule) -> str:
    """The builder method Lark calls for ``rule``: its alias, else its nonterminal's name."""
    return str(rule.alias or rule.options.template_source or rule.origin.name)


def _check_tree_builder(builder) -> None:
    """Raise unless ``builder`` is Lark's default callback (a tree for an inlined rule, which its parent opens)."""
    if not (isinstance(builder, partial) and len(builder.args) == 1 and isinstance(builder.args[0], str)):
        raise ValueError(f"a reduction callback this module does not know: {builder!r}")


def _skip_passes(actions: list[dict[str, int]], reductions: list[tuple]) -> list[dict[int, int]]:
    """Each run of reductions that pass their child along, as one step: a reduction's code in a row
    becomes ``PASS + j``, and ``skips[under][PASS + j]`` is the state the run ends in when ``under``
    is the state below. A run pops no state below the first, so where it ends depends only on that
    state, the rule and the lookahead."""
    runs: dict[tuple[str, str], int] = {}
    for row in actions:
        for kind, action in row.items():
            if action < 0 and reductions[~action][2] == "pass":
                row[kind] = PASS + runs.setdefault((reductions[~action][1], kind), len(runs))
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
