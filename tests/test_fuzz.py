"""The command-line contract as a property: cases from the fuzzer's generators (tools/fuzz.py), run
in-process by its runner and checked by its checker, keep every clause (exit 0 with output or exit 2
with one bounded ``error:`` message, no traceback, no raw control characters, well-formed SVG, DOT,
HTML and JSON, no files left behind). Small programs and few Graphviz runs keep it to seconds; the
full fuzzer (``.venv/bin/python tools/fuzz.py --cases 100000``) runs the same checks at scale."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from support import ROOT, load_script

fuzz = load_script(ROOT / "tools" / "fuzz.py")


@settings(
    max_examples=200,
    derandomize=True,  # the same 200 cases every run: CI does not depend on luck (tools/fuzz.py explores)
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a seed does not shrink: the case names the failure
    suppress_health_check=[HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), command=st.sampled_from(list(fuzz.GENERATORS)))
def test_random_command_lines_keep_the_contract(seed, command, tmp_path_factory):
    case = fuzz.generate_case(random.Random(seed), index=seed, light=True, commands=[command])
    workdir = tmp_path_factory.mktemp("fuzz")
    limits = fuzz.Limits(seconds=120.0, memory=0, dot_sample=1.0)  # 120 s: a hang, never a slow machine
    result = fuzz.run_case(case, str(workdir), limits)
    assert not result.failures, fuzz.describe(case, result)


def test_reproducers_are_exact_shell_lines():
    case = fuzz.Case(0, "eval", ["eval", "-x\x1b[31m", "--at", "x=1\udcff"], stdin=b"-\x00%'\\")
    line = case.shell()
    assert "$'-x\\x1b[31m'" in line and "$'x=1\\xff'" in line
    assert line.startswith("printf '\\055\\000%%\\047\\\\' | COLUMNS=80 gradcli eval")


def test_the_fuzzers_fallback_function_list_is_the_op_tables():
    """Used only when gradcli cannot be imported, so nothing else would notice it going stale."""
    from gradcli.core.ops import FUNCTIONS

    assert dict(fuzz.FALLBACK_FUNCTIONS) == {name: op.arity for name, op in FUNCTIONS.items()}
