"""The benchmark's workloads and checks at tiny sizes, in-process (no timing is asserted).

micrograd parts are skipped when micrograd is not installed (it is a bench-only dependency).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402
from bench import workloads as W  # noqa: E402

try:
    import micrograd  # noqa: F401

    HAVE_MICROGRAD = True
except ImportError:
    HAVE_MICROGRAD = False

ENGINES = [
    "autograd_core",
    pytest.param("micrograd", marks=pytest.mark.skipif(
        not HAVE_MICROGRAD, reason="micrograd is a bench-only dependency, not installed")),
]
needs_micrograd = pytest.mark.skipif(not HAVE_MICROGRAD, reason="micrograd not installed")

# 20 of the 100 moons points (10 of each class) keep micrograd's steps fast here.
SUBSET = list(range(10)) + list(range(50, 60))


def _subset() -> tuple[list, list]:
    points, labels = W.moons()
    return [points[i] for i in SUBSET], [labels[i] for i in SUBSET]


class _Fake:
    def __init__(self, data: float, grad: float = 0.0) -> None:
        self.data = data
        self.grad = grad


# --------------------------------------------------------------------------- W1
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("n", [1, 7, 100])
def test_w1_chain_gradient_is_the_product_of_local_slopes(engine: str, n: int) -> None:
    V = W.load_value_class(engine)
    x, y = W.w1_build(V, n)
    y.backward()
    got = W.w1_check(x, y, n)
    # An oracle independent of w1_oracle: central finite differences of the float chain.
    def chain(x0: float) -> float:
        for _ in range(n):
            x0 = math.tanh(x0 * 1.0001 + 0.0001)
        return x0

    h = 1e-6
    fd = (chain(0.5 + h) - chain(0.5 - h)) / (2 * h)
    assert got["grad"] == pytest.approx(fd, rel=1e-6)


def test_w1_check_rejects_a_wrong_gradient_and_a_wrong_value() -> None:
    y, grad = W.w1_oracle(10)
    with pytest.raises(AssertionError, match="relative error"):
        W.w1_check(_Fake(0.5, grad * (1 + 1e-8)), _Fake(y), 10)
    with pytest.raises(AssertionError, match="float chain"):
        W.w1_check(_Fake(0.5, grad), _Fake(y + 1e-12), 10)


def test_w1_check_at_a_million_uses_an_absolute_tolerance() -> None:
    # The product underflows past 1e5 steps; w1_check takes it to an absolute 1e-300.
    oracle = (0.25, 1e-310)
    assert W.w1_check(_Fake(0.5, 0.0), _Fake(0.25), 10**6, oracle)["abs_error"] == 1e-310
    with pytest.raises(AssertionError, match="absolute error"):
        W.w1_check(_Fake(0.5, 1e-299), _Fake(0.25), 10**6, oracle)


# --------------------------------------------------------------------------- W2
@pytest.mark.parametrize("engine", ENGINES)
def test_w2_wide_sum_gradients_are_the_other_factor(engine: str) -> None:
    V = W.load_value_class(engine)
    xs, ws = W.w2_data(300)
    X, Wt, s = W.w2_build(V, xs, ws)
    s.backward()
    assert W.w2_check(X, Wt, s, xs, ws)["checked"] == 6
    assert s.data == pytest.approx(math.fsum(a * b for a, b in zip(xs, ws, strict=True)))
    X[150].grad += 1e-9  # one of the checked indices
    with pytest.raises(AssertionError, match=r"x\[150\]"):
        W.w2_check(X, Wt, s, xs, ws)


def test_w2_data_and_node_count() -> None:
    xs, ws = W.w2_data(5)
    assert xs == [((i * 37) % 101) / 101 - 0.5 for i in range(5)]
    assert ws == [((i * 53) % 97) / 97 - 0.5 for i in range(5)]
    assert W.w2_nodes(100_000) == 399_999


# --------------------------------------------------------------------------- W3
def test_moons_follow_the_workload_definition() -> None:
    points, labels = W.moons()
    assert len(points) == 100 and labels == [-1.0] * 50 + [1.0] * 50
    flat, _ = W.moons(noise=0.0)
    for i in (0, 17, 49):  # without noise: the outer moon on the unit circle ...
        assert math.hypot(*flat[i]) == pytest.approx(1.0)
    for i in (50, 70, 99):  # ... the inner one on the circle around (1, 0.5)
        assert math.hypot(flat[i][0] - 1, flat[i][1] - 0.5) == pytest.approx(1.0)
    assert all(abs(p[0] - f[0]) < 0.6 for p, f in zip(points, flat, strict=True))


def test_initial_parameters_are_in_micrograds_order() -> None:
    values = W.initial_parameters()
    assert len(values) == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1 == 337
    assert values[2] == 0.0 and values[5] == 0.0 and values[-1] == 0.0  # biases
    assert all(-1 <= v <= 1 for v in values) and values[0] != 0.0


def test_w3_step_gradient_matches_finite_differences() -> None:
    V = W.load_value_class("autograd_core")
    points, labels = _subset()
    model, params, _ = W.make_w3_model("autograd_core", "nodes")
    loss = W.w3_loss(V, model, params, points, labels)
    loss.backward()

    def value_at(i: int, v: float) -> float:
        old = params[i].data
        params[i].data = v
        try:
            return W.w3_loss(V, model, params, points, labels).data
        finally:
            params[i].data = old

    h = 1e-6
    for i in (0, 1, 2, 40, 100, 320, 336):
        p = params[i].data
        fd = (value_at(i, p + h) - value_at(i, p - h)) / (2 * h)
        assert params[i].grad == pytest.approx(fd, rel=1e-5, abs=1e-8), f"parameter {i}"


def test_w3_fused_network_agrees_with_node_by_node() -> None:
    V = W.load_value_class("autograd_core")
    points, labels = _subset()
    losses = {}
    for variant in ("nodes", "nn"):
        model, params, _ = W.make_w3_model("autograd_core", variant)
        losses[variant] = W.w3_train(V, model, params, points, labels, steps=3)
    W.w3_check(losses["nn"][-1], losses["nodes"][-1], "nn vs nodes")
    fused = W.FusedMLP(V, W.W3_SIZES, W.initial_parameters())
    got = W.w3_train(V, fused, fused.parameters(), points, labels, steps=3)
    W.w3_check(got[-1], losses["nodes"][-1], "dot vs nodes")


@needs_micrograd
def test_w3_agrees_with_micrograd() -> None:
    points, labels = _subset()
    result = {}
    for engine in ("autograd_core", "micrograd"):
        V = W.load_value_class(engine)
        model, params, _ = W.make_w3_model(engine, "nodes")
        result[engine] = W.w3_train(V, model, params, points, labels, steps=3)
    for ours, theirs in zip(result["autograd_core"], result["micrograd"], strict=True):
        W.w3_check(ours, theirs, "nodes")
    with pytest.raises(AssertionError, match="relative difference"):
        W.w3_check(result["micrograd"][-1] * (1 + 1e-5), result["micrograd"][-1], "nodes")


def test_make_w3_model_rejects_unknown_variants() -> None:
    with pytest.raises(ValueError, match="variant"):
        W.make_w3_model("autograd_core", "conv")
    with pytest.raises(ValueError, match="engine"):
        W.load_value_class("tinygrad")


# --------------------------------------------------------------------------- run.py
@pytest.mark.parametrize("engine", ENGINES)
def test_children_report_checked_results(engine: str) -> None:
    w1 = run.child_main({"task": "W1", "engine": engine, "n": 400, "repeats": 1})
    assert set(w1["median"]) == {"build", "backward", "free", "total"}
    assert w1["check"]["rel_error"] < 1e-9
    mem = run.child_main({"task": "W2-mem", "engine": engine, "n": 200})
    assert mem["nodes"] == 799 and mem["bytes_per_node"] > 0
    if engine == "micrograd":  # depth 1200 > the default limit of 1000
        assert w1["default_limit"].startswith("RecursionError")
    assert sys.getrecursionlimit() < 10**6  # restored after micrograd's big-stack thread


def test_report_turns_results_into_a_table_with_ratios() -> None:
    tasks = [{"task": "W2", "engine": e, "n": 100, "repeats": 1}
             for e in ("autograd_core", "micrograd")]
    ours = run.child_main(tasks[0])
    fake = {**ours, "median": {k: 3 * v for k, v in ours["median"].items()}}
    results = {run._key(tasks[0]): ours, run._key(tasks[1]): fake}
    table, targets, failures = run.build_report(results, tasks, {})
    assert failures == []
    assert any("| W2 N=1e2 | build + backward + free |" in line and "3.0x" in line
               for line in table)
    assert targets[0]["met"] is False  # 3x < the 4x target


def test_cli_rejects_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "W9"])
    assert "W1,W2,W3" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run.parse_args(["--repeats", "0"])
    args = run.parse_args(["--quick", "--only", "w3,W1"])
    assert args.only == ["W3", "W1"] and args.repeats == 2


def test_json_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    run.write_json_atomic(target, {"a": [1.5]})
    assert json.loads(target.read_text()) == {"a": [1.5]}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_export_revision_writes_the_tree_of_a_commit(tmp_path: Path) -> None:
    short = run.export_revision("HEAD", tmp_path)
    assert short and (tmp_path / "bench" / "run.py").is_file()
    committed = subprocess.run(["git", "show", "HEAD:autograd_core/value.py"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout
    assert (tmp_path / "autograd_core" / "value.py").read_text() == committed
    with pytest.raises(SystemExit, match="not a commit"):
        run.export_revision("no-such-revision-anywhere", tmp_path / "x")


def test_baseline_comparison_prints_a_ratio_table(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_child(spec: dict, timeout: float, root: Path = run.ROOT) -> dict:
        calls.append(root)
        step = 0.02 if root == run.ROOT else 0.025
        return {"median": {"step": step}, "final_loss": 0.5, "wall": 1.0}

    monkeypatch.setattr(run, "run_child", fake_child)
    assert run.main(["--baseline", "HEAD", "--rounds", "3", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "| round | this checkout | baseline | this / baseline |" in out
    assert "| 3 | 20.0 ms | 25.0 ms | 0.800 |" in out
    assert "median this / baseline over 3 rounds: 0.800" in out
    # Alternating, the order swapped every round: ours, baseline; baseline, ours; ...
    assert [c == run.ROOT for c in calls] == [True, False, False, True, True, False]
