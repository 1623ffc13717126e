"""``gradcli eval --json``: strict JSON, the documented keys, and a graph that reads in order.

Runs the real command line. The parser rejects NaN/Infinity, so any non-finite number
that is not written as the string "nan", "inf" or "-inf" fails the test.
"""

from __future__ import annotations

import math

import pytest
from support import assert_clean_error, cli, strict_json

TOP_KEYS = {"program", "at", "value", "gradient", "output", "nodes", "anomalies", "kinks"}
NODE_KEYS = {"id", "label", "op", "role", "expression", "inputs", "value", "grad", "local", "incoming"}
ANOMALY_KEYS = {"kind", "node", "message"}
NON_FINITE = {"nan", "inf", "-inf"}


def report(program: str, *ats: str) -> dict:
    """``gradcli eval PROGRAM --json`` with one ``--at`` per entry of ``ats``: strict JSON and a final newline."""
    done = cli("eval", program, "--json", "--trace", *[word for at in ats for word in ("--at", at)])
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.endswith("\n")
    return strict_json(done.stdout)


def numbers(data):
    """Every value that stands for a number: floats/ints and the non-finite strings."""
    if isinstance(data, dict):
        for value in data.values():
            yield from numbers(value)
    elif isinstance(data, list):
        for value in data:
            yield from numbers(value)
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        yield data


def as_float(value) -> float:
    if isinstance(value, str):
        assert value in NON_FINITE, value
        return float(value)
    return float(value)


def check_structure(data: dict) -> None:
    assert set(data) == TOP_KEYS
    nodes = data["nodes"]
    assert [n["id"] for n in nodes] == list(range(len(nodes)))  # ids are evaluation order
    for node in nodes:
        assert NODE_KEYS <= set(node), node
        assert all(isinstance(i, int) and 0 <= i < node["id"] for i in node["inputs"]), node  # earlier ids
        assert isinstance(node["local"], list) and isinstance(node["incoming"], list)
        for c in node["incoming"]:
            assert node["id"] in nodes[c["from"]]["inputs"]  # incoming comes from a user of the node
    output = data["output"]
    assert nodes[output]["role"] == "output"
    assert [n["id"] for n in nodes if n["role"] == "output"] == [output]
    assert nodes[output]["grad"] == 1.0  # the seed
    assert nodes[output]["value"] == data["value"]
    inputs = {n["label"]: n for n in nodes if n["op"] == "var"}
    assert set(data["gradient"]) == set(inputs) == set(data["at"])
    for name, grad in data["gradient"].items():
        assert inputs[name]["grad"] == grad
        assert inputs[name]["value"] == data["at"][name]
    for anomaly in data["anomalies"]:
        assert set(anomaly) == ANOMALY_KEYS
        assert anomaly["kind"] in ("value", "gradient")
        assert 0 <= anomaly["node"] < len(nodes)
    for kink in data["kinks"]:
        assert 0 <= kink["node"] < len(nodes)
    for value in numbers(data):
        assert math.isfinite(value)


PROGRAMS = [
    ("a = x*3; b = a + 1; c = b**2", ["x=2"]),
    ("x*y + x**2", ["x=2,y=3"]),
    ("sin(x) + sin(x)", ["x=1"]),
    ("x*x", ["x=-1.5"]),
    ("w = 0.5\n# a comment\nw*x + relu(x) + max(x, y)", ["x=1", "y=1"]),
    ("y = x**2; z = stop_gradient(y)*x", ["x=2"]),
    ("clamp(x, 0, 1) + abs(y) + sign(y) + step(y)", ["x=0", "y=0"]),
    ("log(x) + 1/y + sqrt(z)", ["x=-1", "y=0", "z=0"]),
    ("exp(x) - exp(x)", ["x=1000"]),
    ("-x**2", ["x=1"]),
    ("2**3**2", []),
    ("x", ["x=1/0"]),
]


@pytest.mark.parametrize("program, ats", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_json_is_strict_and_well_formed(program, ats):
    data = report(program, *ats)
    check_structure(data)


def test_hand_computed_report():
    # a = 3x = 6, b = a + 1 = 7, c = b**2 = 49; dc/db = 2b = 14 = dc/da; dc/dx = 3*14 = 42
    data = report("a = x*3; b = a + 1; c = b**2", "x=2")
    assert data["program"] == "a = x*3; b = a + 1; c = b**2"
    assert (data["at"], data["value"], data["gradient"]) == ({"x": 2.0}, 49.0, {"x": 42.0})
    by_label = {n["label"]: n for n in data["nodes"]}
    assert [(by_label[k]["value"], by_label[k]["grad"]) for k in "xabc"] == [
        (2.0, 42.0),
        (6.0, 14.0),
        (7.0, 14.0),
        (49.0, 1.0),
    ]
    assert [by_label[k]["role"] for k in "xabc"] == ["input", "intermediate", "intermediate", "output"]
    assert by_label["c"]["op"] == "powc" or by_label["c"]["op"] == "pow"
    assert data["output"] == by_label["c"]["id"]
    assert data["anomalies"] == [] and data["kinks"] == []


def test_x_times_x_has_two_edges_to_the_same_node():
    data = report("x*x", "x=3")
    (x,) = [n for n in data["nodes"] if n["op"] == "var"]
    out = data["nodes"][data["output"]]
    assert out["inputs"] == [x["id"], x["id"]]
    assert [c["from"] for c in x["incoming"]] == [out["id"], out["id"]]
    assert [c["amount"] for c in x["incoming"]] == [3.0, 3.0]
    assert x["grad"] == 6.0


def test_one_node_for_repeated_subexpression():
    data = report("sin(x) + sin(x)", "x=1")
    assert [n["op"] for n in data["nodes"]].count("sin") == 1
    assert data["gradient"]["x"] == pytest.approx(2 * math.cos(1.0), rel=1e-15)


def test_non_finite_numbers_are_strings():
    data = report("log(x) + 1/y + sqrt(z)", "x=-1", "y=0", "z=0")
    assert data["value"] == "nan"
    by_op = {n["op"]: n for n in data["nodes"]}
    assert by_op["log"]["value"] == "nan"
    assert by_op["div"]["value"] == "inf"
    assert by_op["sqrt"]["value"] == 0.0
    # d/dz sqrt(z) at 0 is +inf; d/dy (1/y) at 0 is -1/0**2 = -inf
    assert data["gradient"]["z"] == "inf"
    assert data["gradient"]["y"] == "-inf"
    assert data["gradient"]["x"] == -1.0  # 1/x at -1: finite even though log(-1) is nan
    assert any(c["local"] == "inf" for n in data["nodes"] for c in n["incoming"])  # d sqrt(z)/dz at 0
    assert {a["kind"] for a in data["anomalies"]} == {"value", "gradient"}
    (value_anomaly,) = [a for a in data["anomalies"] if a["kind"] == "value"]
    assert value_anomaly["node"] == by_op["log"]["id"]  # the first nan/inf in evaluation order


def test_infinite_input_value_is_a_string():
    data = report("x*2", "x=-1/0")
    assert data["at"] == {"x": "-inf"}
    assert data["value"] == "-inf"
    assert data["gradient"] == {"x": 2.0}


def test_overflow_is_inf_and_inf_minus_inf_is_nan():
    data = report("exp(x) - exp(x)", "x=1000")  # one exp node: inf - inf
    (exp,) = [n for n in data["nodes"] if n["op"] == "exp"]
    assert exp["value"] == "inf"
    assert data["value"] == "nan"


def test_kinks_are_listed():
    data = report("relu(x) + max(x, y)", "x=0", "y=0")
    kinked = {data["nodes"][k["node"]]["op"] for k in data["kinks"]}
    assert kinked == {"relu", "max"}
    # relu'(0) = 0 and max splits the tie: d/dx = 0 + 0.5, d/dy = 0.5
    assert data["gradient"] == {"x": 0.5, "y": 0.5}


def test_chain_rule_bookkeeping_adds_up():
    """Every node's gradient is the sum of what its users send: local x upstream."""
    data = report("a = x*y; b = sin(a) + a*x; c = b/y - exp(-x)", "x=0.5", "y=2")
    nodes = data["nodes"]
    for node in nodes:
        if node["id"] == data["output"]:
            continue
        amounts = [c["amount"] for c in node["incoming"]]
        for c in node["incoming"]:
            assert c["amount"] == pytest.approx(c["local"] * c["upstream"], rel=1e-15)
            assert c["upstream"] == nodes[c["from"]]["grad"]
        assert node["grad"] == pytest.approx(math.fsum(amounts), rel=1e-12, abs=1e-300)
    # and the gradient itself, by hand: c = (x*y*x + sin(x*y))/y - exp(-x)
    x, y = 0.5, 2.0
    dx = (2 * x * y + math.cos(x * y) * y) / y + math.exp(-x)
    dy = (x * x + math.cos(x * y) * x) / y - (x * y * x + math.sin(x * y)) / y**2
    assert data["gradient"] == pytest.approx({"x": dx, "y": dy}, rel=1e-14)


def test_incoming_amounts_add_up_behind_stop_gradient():
    data = report("stop_gradient(sqrt(x)) * x", "x=0")
    assert data["gradient"] == {"x": 0.0}  # d/dx sg(sqrt(x))*x = sqrt(0) = 0
    (x,) = [n for n in data["nodes"] if n["op"] == "var"]
    assert all(c["amount"] not in NON_FINITE for c in x["incoming"]), x["incoming"]


# ---------------------------------------------------------------- output proportional to the question


def test_json_without_trace_gives_each_node_its_value_and_gradient_only():
    done = cli("eval", "a = x*3; b = a + 1; c = b**2", "--at", "x=2", "--json")
    data = strict_json(done.stdout)
    nodes = {n["label"]: n for n in data["nodes"] if "label" in n}
    assert {k: (n["value"], n["grad"]) for k, n in nodes.items()} == {
        "x": (2, 42),
        "a": (6, 14),
        "b": (7, 14),
        "c": (49, 1),
    }
    assert all(set(n) <= {"id", "op", "inputs", "label", "value", "grad"} for n in data["nodes"])
    assert [n["id"] for n in data["nodes"]] == list(range(len(data["nodes"])))


def test_a_large_program_is_written_node_by_node_and_agrees_with_the_trace():
    terms = " + ".join(f"sin({k}*x)*y" for k in range(1, 700))  # over 2,000 nodes: compact JSON
    plain = cli("eval", terms, "--at", "x=0.3,y=2", "--json").stdout
    traced = strict_json(cli("eval", terms, "--at", "x=0.3,y=2", "--json", "--trace").stdout)
    data = strict_json(plain)
    assert "\n" not in plain.rstrip("\n") and len(data["nodes"]) > 2000
    assert [(n["id"], n["value"], n["grad"]) for n in data["nodes"]] == [
        (n["id"], n["value"], n["grad"]) for n in traced["nodes"]
    ]
    assert {k: data[k] for k in ("value", "gradient", "anomalies", "kinks")} == {
        k: traced[k] for k in ("value", "gradient", "anomalies", "kinks")
    }


def test_trace_goes_with_json():
    done = cli("eval", "x", "--at", "x=1", "--trace")
    assert_clean_error(done)
    assert "--trace goes with --json" in done.stderr
