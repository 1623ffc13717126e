"""Worked examples #23-#28 and the XOR network (``examples/arrays/``), through the real command line.

Oracles, neither of them gradcli: the figures of worked-examples.md typed in by hand, and the
same computation written out in NumPy (forward and backward by hand) for the XOR network.
"""

from __future__ import annotations

import numpy as np
import pytest
from support import EXAMPLES, cli, strict_json

ARRAYS = EXAMPLES / "arrays"
REL = 1e-12


def run_json(*args: str) -> dict:
    done = cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return strict_json(done.stdout)


def node_values(report: dict) -> dict[str, object]:
    return {node["label"]: node["value"] for node in report["nodes"] if "label" in node}


# file -> (value of the output, gradient per input, values of named nodes), from worked-examples.md
FIGURES = {
    "23_sum_of_cubes.grad": (36, {"x": [3, 12, 27]}, {}),
    "24_relu_vector.grad": (3, {"x": [0, 0, 0, 1, 1]}, {"r": [0, 0, 0, 1, 2]}),
    "25_clamp_vector.grad": (1.5, {"x": [0, 1, 0]}, {"c": [0, 0.5, 1]}),
    "26_straight_through_round.grad": (4, {"x": [1, 1, 1, 1]}, {"q": [0, 1, 1, 2]}),
    # 1002 + log(1 + e**-1 + e**-2) and softmax([1000, 1001, 1002]), to the table's 7 digits
    "27_logsumexp.grad": (1002.4076059644, {"x": [0.0900306, 0.2447285, 0.6652410]}, {}),
}
ROUNDED = {"27_logsumexp.grad": 5e-8}  # the table's figures are rounded: half a unit in the last digit


@pytest.mark.parametrize("name", list(FIGURES))
def test_worked_example_figures(name):
    value, gradient, named = FIGURES[name]
    report = run_json("eval", "-f", str(ARRAYS / name))
    tolerance = ROUNDED.get(name, 0.0)
    assert report["value"] == pytest.approx(value, rel=REL, abs=max(tolerance, 1e-13) if tolerance else 1e-13)
    for input_name, want in gradient.items():
        np.testing.assert_allclose(report["gradient"][input_name], want, rtol=REL, atol=tolerance or 1e-15)
    values = node_values(report)
    for label, want in named.items():
        np.testing.assert_allclose(values[label], want, rtol=REL, atol=1e-15)


def test_relu_gradient_at_exactly_zero_follows_the_convention():
    report = run_json("eval", "-f", str(ARRAYS / "24_relu_vector.grad"))
    assert report["gradient"]["x"][2] == 0
    assert any("relu'(0) = 0" in kink["convention"] for kink in report["kinks"])


def test_naive_logsumexp_overflows_and_names_the_element():
    done = cli("eval", "-f", str(ARRAYS / "27b_naive_logsumexp.grad"))
    assert done.returncode == 0, done.stderr
    assert "inf first appears at exp(x)[0]: exp(1000) = inf" in done.stdout
    report = run_json("eval", "-f", str(ARRAYS / "27b_naive_logsumexp.grad"))
    assert report["value"] == "inf"


def test_softmax_jacobian_example_28():
    report = run_json("jacobian", "-f", str(ARRAYS / "28_softmax_jacobian.grad"))
    z = np.array([1.0, 2.0, 3.0])
    s = np.exp(z - 3) / np.exp(z - 3).sum()  # by hand
    want = [[s[i] * ((i == j) - s[j]) for j in range(3)] for i in range(3)]
    np.testing.assert_allclose(report["jacobian"], want, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(report["values"], s, rtol=1e-15)
    # the table's rounded figures
    np.testing.assert_allclose(report["jacobian"][0], [0.0819251, -0.0220330, -0.0598920], atol=5e-8)
    assert report["passes"] == {"forward": 3, "reverse": 3}


# ---------------------------------------------------------------- the XOR network, by hand in NumPy

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
Y = np.array([0, 1, 1, 0], dtype=float)
W1 = np.array([[0.5, -0.4, 0.3, 0.8], [-0.6, 0.7, 0.2, -0.5]])
B1 = np.array([0.1, -0.1, 0.05, 0.0])
W2 = np.array([0.7, -0.3, 0.5, -0.8])
B2 = 0.1


def xor_by_hand() -> tuple[float, dict[str, np.ndarray]]:
    """Forward and backward of the XOR network, each step written out."""
    z1 = X @ W1 + B1
    h = np.tanh(z1)
    z2 = h @ W2 + B2
    p = 1 / (1 + np.exp(-z2))
    loss = -np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))
    dz2 = (p - Y) / len(Y)  # d loss / d z2 for a sigmoid with binary cross-entropy
    dh = np.outer(dz2, W2)
    dz1 = dh * (1 - h**2)
    dp = -(Y / p - (1 - Y) / (1 - p)) / len(Y)
    dy = -(np.log(p) - np.log(1 - p)) / len(Y)
    grads = {
        "W2": h.T @ dz2,
        "b2": dz2.sum(),
        "W1": X.T @ dz1,
        "b1": dz1.sum(axis=0),
        "X": dz1 @ W1.T,
        "y": dy,
    }
    assert np.allclose(dp * p * (1 - p), dz2)
    return float(loss), grads


def test_xor_network_eval_against_numpy_by_hand():
    loss, grads = xor_by_hand()
    report = run_json("eval", "-f", str(ARRAYS / "xor_network.grad"))
    assert report["value"] == pytest.approx(loss, rel=1e-14)
    assert report["value"] == pytest.approx(0.6876043006, abs=5e-11)
    for name, want in grads.items():
        np.testing.assert_allclose(report["gradient"][name], want, rtol=1e-12, atol=1e-15, err_msg=name)


def test_xor_network_compare_passes():
    done = cli("compare", "-f", str(ARRAYS / "xor_network.grad"), "--json")
    assert done.returncode == 0, done.stderr
    report = strict_json(done.stdout)
    assert [row["verdict"] for row in report["inputs"]] == ["PASS"] * 6
    assert all(abs(row["symbolic"] - row["reverse"]) <= 1e-12 for row in report["inputs"])  # diff's derivative
    assert {row["name"]: row["probes"] for row in report["inputs"]}["W1"] == 8


def test_xor_network_graph_draws_shapes(tmp_path):
    out = tmp_path / "xor.dot"
    done = cli("graph", "-f", str(ARRAYS / "xor_network.grad"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "X @ W1" in text and "4×4, norm" in text


def test_every_array_example_is_tested():
    tested = set(FIGURES) | {"27b_naive_logsumexp.grad", "28_softmax_jacobian.grad", "xor_network.grad"}
    assert {p.name for p in ARRAYS.glob("*.grad")} == tested


@pytest.mark.parametrize("columns", [40, 60, 80])
@pytest.mark.parametrize("command", ["eval", "compare"])
def test_reports_fit_the_terminal_and_never_break_a_number(columns, command):
    """Every line fits; every number of the gradients appears whole on some line."""
    from rich.cells import cell_len

    from gradcli.core.numbers import format_number

    done = cli(command, "-f", str(ARRAYS / "xor_network.grad"), columns=columns)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= columns
    if command == "eval":
        _, grads = xor_by_hand()
        for g in grads.values():
            for number in np.ravel(g):
                shown = format_number(float(number), 10)
                assert any(shown in line for line in lines), (shown, columns)


def test_xor_network_step_through_page(tmp_path):
    page = tmp_path / "steps.html"
    done = cli("graph", "-f", str(ARRAYS / "xor_network.grad"), "--html", str(page))
    assert done.returncode == 0, done.stderr
    text = page.read_text()
    assert "g @ W1.T" in text and "X.T @ g" in text  # matmul's two vector-Jacobian products, as steps


def test_edge_labels_of_structural_ops_show_their_vector_jacobian_products():
    done = cli("graph", "-f", str(ARRAYS / "xor_network.grad"), "--edge-labels", "--format", "dot")
    assert done.returncode == 0, done.stderr
    assert 'label="g → g @ W1.T"' in done.stdout and 'label="g → X.T @ g"' in done.stdout
    done = cli("graph", "amin(x)", "--at", "x=1", "--edge-labels", "--format", "dot")  # found by tools/fuzz.py
    assert done.returncode == 0, done.stderr


def test_xor_network_forward_mode_one_pass_per_element():
    _, grads = xor_by_hand()
    report = run_json("eval", "-f", str(ARRAYS / "xor_network.grad"), "--mode", "forward")
    assert report["passes"] == 8 + 4 + 8 + 4 + 4 + 1  # X, y, W1, b1, W2, b2: one pass per number
    for name, want in grads.items():
        for where in np.ndindex(np.shape(want)):
            label = f"{name}[{', '.join(map(str, where))}]" if np.ndim(want) else name
            assert report["gradient"][label] == pytest.approx(float(np.asarray(want)[where]), rel=1e-12, abs=1e-15)


def test_xor_network_hessian_against_differences_of_the_gradient():
    done = cli("compare", "-f", str(ARRAYS / "xor_network.grad"), "--order", "2", "--wrt", "W2,b2", "--json")
    assert done.returncode == 0, done.stderr
    report = strict_json(done.stdout)
    entries = report["entries"]
    assert all(e["verdict"] == "PASS" for e in entries)
    # rows: every element (29); columns: W2's 4 and b2: each pair once
    assert len(entries) == sum(1 for e in entries) and {e["second"] for e in entries} == {
        "W2[0]",
        "W2[1]",
        "W2[2]",
        "W2[3]",
        "b2",
    }
    # d2 loss / d b2 d b2 = mean(p*(1-p)), by hand
    z1 = X @ W1 + B1
    p = 1 / (1 + np.exp(-(np.tanh(z1) @ W2 + B2)))
    (entry,) = [e for e in entries if e["first"] == "b2" and e["second"] == "b2"]
    assert entry["forward_over_reverse"] == pytest.approx(float(np.mean(p * (1 - p))), rel=1e-12)
