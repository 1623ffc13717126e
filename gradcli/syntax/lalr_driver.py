"""An LALR driver: Lark's parse table and reduction calls for the grammar, run in one loop.

It reads the tables :mod:`gradcli.syntax.table_maker` took out of Lark (rows of ints, and
per rule the call Lark would make) and calls the node builder's methods with the same
arguments in the same order as Lark would: nothing for a rule that passes its only child
(a run of them is one step), the method with the dropped tokens deleted for most rules,
Lark's child filter in full for the rest. It does not report errors: on a token the
table has no action for it says so, and the caller lets Lark parse the text again for
its exact exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

END = "$END"
PASS = 1 << 24  # codes from here on are runs of passing reductions (states and rules are fewer)


class Reduction(NamedTuple):
    """What reducing one rule does: pop ``size`` values, build one, go to ``origin``'s state."""

    size: int
    origin: str
    build: Callable | None  # called with the children, once those at ``drops`` are deleted; None: the
    # rule passes its only child along unchanged (its code in a row is a run's, never this reduction's)
    drops: tuple[int, ...]  # the children Lark's filter leaves out, last first


class LalrDriver:
    """The grammar's LALR table and the builder's methods, run over a list of tokens."""

    def __init__(self, tables: dict, builder: object) -> None:
        self.start, self.end = tables["start"], tables["end"]
        self.actions, self.skips = tables["actions"], tables["skips"]
        self.reductions = [_reduction(rule, builder) for rule in tables["rules"]]

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
                size, origin, build, drops = reductions[~action]
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


def _reduction(rule: tuple, builder: object) -> Reduction:
    """A rule of the tables as a call on ``builder``."""
    size, origin, form, method, detail = rule
    if form == "pass":
        return Reduction(size, origin, None, ())
    if form == "call":
        return Reduction(size, origin, _only if method == "_only" else getattr(builder, method), detail)
    include, append_none, single = detail
    build = getattr(builder, method) if method else Inlined
    return Reduction(size, origin, ChildFilter(include, append_none, single, build), ())


def _only(children: list) -> object:
    """The one child a rule keeps (``"(" expr ")"``)."""
    (child,) = children
    return child


class Inlined:
    """The node of a rule whose children go into its parent's (``_SEP+``, ``("," element)*``)."""

    __slots__ = ("children",)

    def __init__(self, children: list) -> None:
        self.children = children


class ChildFilter:
    """Lark's filter of a rule's children: keep some, open inlined ones, put None for absent options."""

    def __init__(self, include: tuple, append_none: int, single: bool, build: Callable) -> None:
        self.include, self.append_none, self.single, self.build = include, append_none, single, build

    def __call__(self, children: list) -> object:
        kept: list = []
        for i, inline, nones in self.include:
            if nones:
                kept += [None] * nones
            if inline and kept:
                kept += children[i].children
            elif inline:  # the left-recursive list so far (``a, b, c``), extended in place as Lark does
                kept = children[i].children
            else:
                kept.append(children[i])
        if self.append_none:
            kept += [None] * self.append_none
        if self.single and len(kept) == 1:
            return kept[0]
        return self.build(kept)
