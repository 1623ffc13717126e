"""An LALR driver for big programs: Lark's own parse table and reduction callbacks, in one loop.

Lark's ``feed_token`` looks up and checks more per token than a parse that succeeds needs,
and calls a wrapper per reduction that mostly passes its child along (``?sum: term``).
This driver reads Lark's table once into rows of ints and, per rule, the callback Lark
would run: nothing for a rule that passes its only child (a run of them is one step), the
transformer's method for a rule whose filter only drops tokens, Lark's callback for
everything else. So it calls the same methods with the same arguments in the same order
as Lark. It does not report errors: on a token the table has no action for it says so,
and the caller lets Lark parse the text again for its exact exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from lark import Lark
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, ExpandSingleChild
from lark.parsers.lalr_analysis import Shift

END = "$END"
PASS = 1 << 24  # codes from here on are runs of passing reductions (states and rules are fewer)


class Reduction(NamedTuple):
    """What reducing one rule does: pop ``size`` values, build one, go to ``origin``'s state."""

    size: int
    origin: str
    passes: bool  # the value is the only child's, unchanged (no call)
    build: Callable | None  # called with the children, once those at ``drops`` are deleted
    drops: tuple[int, ...]  # the children Lark's filter leaves out, last first


class LalrDriver:
    """Lark's LALR parse table and callbacks, run over a list of tokens."""

    def __init__(self, lark: Lark) -> None:
        parser = lark.parser.parser.parser  # ParsingFrontend -> LALR_Parser -> _Parser
        table, callbacks = parser.parse_table, parser.callbacks
        (start,) = lark.options.start
        self.start, self.end = table.start_states[start], table.end_states[start]
        rules: dict = {}
        if sorted(table.states) != list(range(len(table.states))):
            raise ValueError("the parse table's states are not numbered 0 to n - 1")
        self.actions = [_actions(table.states[state], rules) for state in range(len(table.states))]
        self.reductions = [_reduction(rule, callbacks[rule]) for rule in rules]
        self.skips = self._skip_passes()

    def _skip_passes(self) -> list[dict[int, int]]:
        """Each run of reductions that pass their child along (``atom`` to ``power`` to ... ``sum``),
        as one step: a reduction's code in a row becomes ``PASS + i``, and ``skips[under][PASS + i]``
        is the state the run ends in when ``under`` is the state below. A run pops no state below
        the first, so where it ends depends only on that state, the rule and the lookahead."""
        runs: dict[tuple[str, str], int] = {}
        for row in self.actions:
            for kind, action in row.items():
                if action < 0 and self.reductions[~action].passes:
                    row[kind] = PASS + runs.setdefault((self.reductions[~action].origin, kind), len(runs))
        origins = {PASS + i: origin for (origin, _), i in runs.items()}
        skips = []
        for row in self.actions:
            ends = {PASS + i: self._run_end(row, origin, kind, origins) for (origin, kind), i in runs.items()}
            skips.append({code: state for code, state in ends.items() if state >= 0})
        return skips

    def _run_end(self, under: dict[str, int], origin: str, kind: str, origins: dict[int, str]) -> int:
        """Where a run of passing reductions ends (-1: nowhere): goto on ``origin`` while ``kind`` reduces again."""
        state = under.get(origin, -1)
        while state >= 0 and self.actions[state].get(kind, -1) >= PASS:
            state = under.get(origins[self.actions[state][kind]], -1)
        return state

    def parse(self, kinds: list[str], values: list) -> tuple[bool, object]:
        """(True, the start rule's value), or (False, None) where the table has no action."""
        actions, reductions, skips, end = self.actions, self.reductions, self.skips, self.end
        states, stack = [self.start], []
        push_state, push_value = states.append, stack.append
        state = self.start
        for kind, value in zip([*kinds, END], [*values, None]):
            while True:
                action = actions[state].get(kind)
                if action is None:
                    return False, None
                if action >= PASS:
                    state = states[-1] = skips[states[-2]][action]
                    continue
                if action >= 0:
                    push_state(action)
                    push_value(value)
                    state = action
                    break
                size, origin, _, build, drops = reductions[~action]
                if size:
                    children = stack[-size:]
                    del stack[-size:], states[-size:]
                    for i in drops:
                        del children[i]
                else:
                    children = []
                push_value(build(children))
                state = actions[states[-1]][origin]
                push_state(state)
                if state == end:
                    return True, stack[-1]
        return False, None


def _actions(row: dict, rules: dict) -> dict[str, int]:
    """A state's row: the next state (a shift, or a goto), or ``~i`` to reduce the i-th rule of ``rules``."""
    return {
        symbol: argument if action is Shift else ~rules.setdefault(argument, len(rules))
        for symbol, (action, argument) in row.items()
    }


def _reduction(rule, callback: Callable) -> Reduction:
    """The cheapest call that gives what Lark's callback for ``rule`` gives."""
    size, origin = len(rule.expansion), rule.origin.name
    if callback.__class__ is ExpandSingleChild and size == 1:
        return Reduction(size, origin, True, None, ())
    if callback.__class__ is ChildFilterLALR_NoPlaceholders and not any(x for _, x in callback.to_include):
        kept = {i for i, _ in callback.to_include}
        drops = tuple(i for i in reversed(range(size)) if i not in kept)
        builder = callback.node_builder
        if builder.__class__ is ExpandSingleChild and len(kept) == 1:
            return Reduction(size, origin, False, _only, drops)
        if builder.__class__ is not ExpandSingleChild:
            return Reduction(size, origin, False, builder, drops)
    return Reduction(size, origin, False, callback, ())


def _only(children: list) -> object:
    """The one child a rule keeps (``"(" expr ")"``)."""
    (child,) = children
    return child
