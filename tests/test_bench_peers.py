"""The benchmark's W3-float-tape, W3-torch and digits rows at tiny sizes (no timing asserted).

PyTorch is a bench-only dependency (bench/requirements.txt): its tests are skipped without it.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from autograd_core import Value  # noqa: E402
from autograd_core.graph import topological_order  # noqa: E402
from bench import run  # noqa: E402
from bench import workloads as W  # noqa: E402

HAVE_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(
    not HAVE_TORCH, reason="PyTorch is a bench-only dependency: pip install torch==2.13.0")
HAVE_NUMPY = importlib.util.find_spec("numpy") is not None
HAVE_SKLEARN = importlib.util.find_spec("sklearn") is not None

# 20 of the 100 moons points (10 of each class): small graphs, quick steps.
SUBSET = list(range(10)) + list(range(50, 60))


def _subset() -> tuple[list, list]:
    points, labels = W.moons()
    return [points[i] for i in SUBSET], [labels[i] for i in SUBSET]


def _w3_nn(points: list, labels: list, steps: int) -> tuple[list[float], list[Any]]:
    model, params, description = W.make_w3_model("autograd_core", "nn")
    assert description == "nn.MLP (fused dot neuron)"
    return W.w3_train(Value, model, params, points, labels, steps), params


# --------------------------------------------------------------------------- float tape
def test_float_tape_is_the_w3_nn_graph_with_the_points_as_constants() -> None:
    points, labels = _subset()
    tape, theta = W.w3_float_tape_setup(points, labels)
    assert tape.n_args == 0 and tape.n_inputs == 337  # the parameters, nothing else
    assert theta == W.initial_parameters()
    model, params = W.nn_mlp(W.initial_parameters())
    loss = W.w3_loss(Value, model, params, points, labels)
    computed = [v for v in topological_order(loss, leaves=False) if v._op is not None]
    assert len(tape) == len(computed)  # one instruction per interior node of W3-nn's graph
    constants = set(tape.constants.values())
    assert {points[3][0], points[3][1], points[15][1]} <= constants


def test_float_tape_training_equals_w3_nn_bit_for_bit() -> None:
    points, labels = _subset()
    want, _ = _w3_nn(points, labels, steps=2)
    tape, theta = W.w3_float_tape_setup(points, labels)
    got = W.w3_float_tape_train(tape, theta, steps=2)
    assert got == want  # every step's loss, exactly
    assert W.w3_float_tape_check(got[-1], want[-1]) == 0.0
    assert got[1] != got[0]  # the parameters moved between the steps


def test_float_tape_check_rejects_one_ulp() -> None:
    loss = 0.1656688006108034
    with pytest.raises(AssertionError, match=r"W3-float-tape.*W3-nn's 0\.1656688006108034"):
        W.w3_float_tape_check(math.nextafter(loss, 1.0), loss)


def test_float_tape_child_reports_w3_nn_numbers() -> None:
    res = run.child_main({"task": "W3-float-tape", "engine": "autograd_core", "steps": 2,
                          "repeats": 1})
    want, _ = _w3_nn(*W.moons(), steps=2)
    assert res["losses"] == want
    assert res["model"].startswith("W3-nn's loss traced once (") and res["trace"] > 0
    tape, _ = W.w3_float_tape_setup()
    if getattr(tape, "compiled", False):  # compiled in setup, so not in the first step's time
        assert res["model"].endswith("steps), compiled float replay")
    assert set(res["median"]) == {"steps", "step"}


# --------------------------------------------------------------------------- PyTorch
@needs_torch
def test_torch_network_has_the_workload_parameters_in_micrograds_order() -> None:
    import torch

    params, X, y = W.w3_torch_setup()
    assert torch.get_num_threads() == 1
    assert [tuple(p.shape) for p in params] == [(16, 2), (16,), (16, 16), (16,), (1, 16), (1,)]
    assert all(p.dtype == torch.float64 and p.device.type == "cpu" for p in params)
    values = W.initial_parameters()
    # neuron 0 of layer 1: weights, bias; neuron 1 of layer 1 ...; layer 2 starts at 48
    assert params[0][0].tolist() == values[0:2] and params[1][0].item() == values[2]
    assert params[0][1].tolist() == values[3:5]
    assert params[2][0].tolist() == values[48:64] and params[3][0].item() == values[64]
    points, labels = W.moons()
    assert X.shape == (100, 2) and X[57].tolist() == list(points[57])
    assert y[:, 0].tolist() == labels


@needs_torch
def test_torch_gradients_and_training_agree_with_w3_nn() -> None:
    points, labels = _subset()
    model, params, _ = W.make_w3_model("autograd_core", "nn")
    loss = W.w3_loss(Value, model, params, points, labels)
    loss.backward()
    tparams, X, y = W.w3_torch_setup(points, labels)
    tloss = W.w3_torch_loss(tparams, X, y)
    tloss.backward()
    assert tloss.item() == pytest.approx(loss.data, rel=1e-12)
    flat = [g for p in tparams for g in p.grad.flatten().tolist()]
    # the matrices, row by row with each row's bias after it: micrograd's order
    reordered = []
    at = 0
    for w, b in zip(tparams[::2], tparams[1::2], strict=True):
        for row in range(w.shape[0]):
            reordered += [*w.grad[row].tolist(), b.grad[row].item()]
        at += w.numel() + b.numel()
    assert len(flat) == at == 337
    for ours, theirs in zip((p.grad for p in params), reordered, strict=True):
        assert theirs == pytest.approx(ours, rel=1e-9, abs=1e-15)
    want, _ = _w3_nn(points, labels, steps=2)
    got = W.w3_torch_train(*W.w3_torch_setup(points, labels), steps=2)
    assert W.w3_torch_check(got[-1], want[-1]) <= 1e-9
    assert got[0] == pytest.approx(want[0], rel=1e-12)


def test_torch_check_rejects_a_wrong_loss() -> None:
    assert W.w3_torch_check(1.0 + 1e-12, 1.0) < 1e-9
    with pytest.raises(AssertionError, match=r"W3-torch.*relative difference 1e-08 > 1e-0?9\)"):
        W.w3_torch_check(1.0 + 1e-8, 1.0)


@needs_torch
def test_torch_child_runs_on_one_thread() -> None:
    res = run.child_main({"task": "W3-torch", "engine": "torch", "steps": 2, "repeats": 1})
    assert res["threads"] == 1 and "torch.set_num_threads(1)" in res["model"]
    want, _ = _w3_nn(*W.moons(), steps=2)
    W.w3_torch_check(res["final_loss"], want[-1])


def _fake_w3(step: float, loss: float = 0.25, **extra: Any) -> dict[str, Any]:
    return {"median": {"step": step, "steps": 20 * step}, "runs": [], "final_loss": loss,
            "losses": [loss], "steps": 20, "gc_profile": None, "model": "m", "wall": 1.0,
            **extra}


def _w3_tasks() -> list[dict[str, Any]]:
    return [{"task": "W3-nodes", "engine": "micrograd", "steps": 20},
            {"task": "W3-nn", "engine": "autograd_core", "steps": 20},
            {"task": "W3-float-tape", "engine": "autograd_core", "steps": 20},
            {"task": "W3-tape", "engine": "autograd_core", "steps": 20},
            {"task": "W3-torch", "engine": "torch", "steps": 20}]


def test_report_has_the_torch_row_and_the_vs_pytorch_column() -> None:
    tasks = _w3_tasks()
    steps = [1.8, 0.02, 0.015, 0.0003, 0.0006]
    results = {run._key(t): _fake_w3(s, trace=0.03) for t, s in zip(tasks, steps, strict=True)}
    table, targets, failures = run.build_report(results, tasks, {})
    assert failures == []
    assert table[0].endswith("| ratio | vs PyTorch |")
    rows = {line.split(" | ")[0][2:]: line for line in table[2:]}
    assert rows["W3-tape"].endswith("| 6000.0x | 2x |")  # 0.6 ms / 0.3 ms
    assert rows["W3-nn"].endswith("| 90.0x | 0.03x |")
    assert rows["W3-float-tape"].endswith("| 120.0x | 0.04x |")
    assert "| W3-torch | one training step (peer, m) | 1.80 s | 600 µs | 3000.0x | - |" in table
    got = {t["target"]: (t["value"], t["met"]) for t in targets}
    assert got["W3-float-tape step >= 100x micrograd"] == ("120.0x", True)
    assert got["W3-tape step faster than W3-torch (PyTorch batched, same run)"] == (
        "2x PyTorch's speed", True)


def test_report_fails_on_a_float_tape_one_ulp_off_and_a_torch_loss_far_off() -> None:
    tasks = _w3_tasks()
    results = {run._key(t): _fake_w3(0.01) for t in tasks}
    results[run._key(tasks[2])] = _fake_w3(0.01, math.nextafter(0.25, 1.0))
    results[run._key(tasks[4])] = _fake_w3(0.01, 0.25 * (1 + 1e-8))
    _, targets, failures = run.build_report(results, tasks, {})
    assert len(failures) == 2
    assert failures[0].startswith("W3-float-tape: loss after the steps 0.25000000000000006")
    assert failures[1].startswith("W3-torch: loss after the steps")
    lanes = next(t for t in targets if "faster than W3-torch" in t["target"])
    assert lanes["met"] is False  # equal times: not faster


def test_without_torch_the_row_is_skipped_with_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    ran: list[str] = []

    def fake_child(spec: dict, timeout: float, root: Path = run.ROOT) -> dict:
        ran.append(spec["task"])
        return _fake_w3(0.01)

    monkeypatch.setattr(run, "run_child", fake_child)
    assert run.main(["--only", "W3", "--repeats", "1"]) == 0
    captured = capsys.readouterr()
    assert "W3-torch" not in ran and "W3-float-tape" in ran
    line = "W3-torch: skipped, PyTorch is not installed (pip install torch==2.13.0"
    assert line in captured.out
    assert "no W3-torch row (pip install torch==2.13.0" in captured.err
    assert "| W3-float-tape | one training step (m) |" in captured.out


def test_requirements_pin_the_cpu_torch_build_for_the_bench_only() -> None:
    lines = (ROOT / "bench" / "requirements.txt").read_text().split()
    assert "torch==2.13.0" in lines and "micrograd==0.1.0" in lines
    assert "torch" not in (ROOT / "pyproject.toml").read_text()


# --------------------------------------------------------------------------- digits
needs_sklearn = pytest.mark.skipif(not HAVE_SKLEARN, reason="the digits need scikit-learn")


@needs_sklearn
@pytest.mark.skipif(not HAVE_NUMPY, reason="fit(compile=True) needs NumPy")
def test_digits_compiled_training_matches_interpreted_on_a_small_slice() -> None:
    if not run._fit_takes_compile():
        pytest.skip("nn.fit has no compile= yet")
    data = W.digits_data()
    interp = W.digits_train(data, compile=False, epochs=1, limit=64)
    comp = W.digits_train(data, compile=True, epochs=1, limit=64)
    assert interp["epochs"] == comp["epochs"] == 1
    assert W.digits_check(comp, interp) <= 1e-9
    res = run.child_main({"task": "digits-compiled", "engine": "autograd_core", "epochs": 1,
                          "repeats": 1, "limit": 64})
    assert res["figures"]["val_accuracy"] == interp["val_accuracy"]
    assert res["figures"]["loss"] == pytest.approx(interp["loss"], rel=1e-9)


def test_digits_check_rejects_another_accuracy_or_loss() -> None:
    ref = {"val_accuracy": 0.9, "loss": 0.5}
    assert W.digits_check(dict(ref), ref) == 0.0
    with pytest.raises(AssertionError, match=r"held-out accuracy with compile=True 0\.88"):
        W.digits_check({**ref, "val_accuracy": 0.88}, ref)
    with pytest.raises(AssertionError, match=r"relative difference 2e-09 > 1e-9\)"):
        W.digits_check({**ref, "loss": 0.5 * (1 + 2e-9)}, ref)


def test_digits_row_says_not_available_without_compile(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "_fit_takes_compile", lambda: False)
    res = run.child_main({"task": "digits-compiled", "engine": "autograd_core", "epochs": 1,
                          "repeats": 1})
    assert res == {"unavailable": "nn.fit has no compile= parameter (not available yet)"}
    tasks = [{"task": f"digits-{m}", "engine": "autograd_core", "epochs": 10, "repeats": 3}
             for m in ("interpreted", "compiled")]
    interp = {"median": {"train": 16.0}, "runs": [],
              "figures": {"val_accuracy": 0.975, "loss": 0.04}}
    results = {run._key(tasks[0]): interp, run._key(tasks[1]): res}
    table, targets, failures = run.build_report(results, tasks, {})
    assert failures == []
    assert ("| digits | training time | 16.00 s | nn.fit has no compile= parameter "
            "(not available yet) | - |") in table
    assert targets[-1]["met"] is None


def test_digits_report_gives_the_ratio_and_checks_the_accuracy() -> None:
    tasks = [{"task": f"digits-{m}", "engine": "autograd_core", "epochs": 10, "repeats": 3}
             for m in ("interpreted", "compiled")]
    fig = {"val_accuracy": 0.975, "loss": 0.04}
    results = {run._key(tasks[0]): {"median": {"train": 16.0}, "figures": fig},
               run._key(tasks[1]): {"median": {"train": 0.8}, "figures": dict(fig)}}
    table, targets, failures = run.build_report(results, tasks, {})
    assert failures == [] and targets[-1]["met"] is True and targets[-1]["value"] == "20.0x"
    assert table[0].startswith("digits demo training")  # no empty W3 table above it
    assert "| digits | training time | 16.00 s | 800.0 ms | 20.0x |" in table
    assert "| digits | held-out accuracy | 97.50% | 97.50% | - |" in table
    results[run._key(tasks[1])]["figures"] = {"val_accuracy": 0.97, "loss": 0.04}
    _, targets, failures = run.build_report(results, tasks, {})
    assert targets[-1]["met"] is False and "held-out accuracy" in failures[0]


def test_only_digits_plans_two_rows_of_three_repeats() -> None:
    args = run.parse_args(["--only", "digits"])
    tasks = run.plan(args, ["autograd_core", "micrograd"])
    assert [(t["task"], t["repeats"], t["epochs"]) for t in tasks] == [
        ("digits-interpreted", 3, 10), ("digits-compiled", 3, 10)]


@needs_torch
def test_versus_torch_alternates_the_two_and_reports_the_median_ratio(monkeypatch, capsys):
    calls = []
    step = {"W3-torch": 360e-6, "W3-tape": 200e-6}

    def fake_child(spec, timeout, root=run.ROOT):
        calls.append(spec["task"])
        return _fake_w3(step[spec["task"]] * (1 + 0.01 * len(calls)))

    monkeypatch.setattr(run, "run_child", fake_child)
    args = run.parse_args(["--versus-torch", "--rounds", "3", "--repeats", "2"])
    assert run.main(["--versus-torch", "--rounds", "3", "--repeats", "2"]) == 0
    assert args.versus_torch and calls == ["W3-torch", "W3-tape", "W3-tape", "W3-torch",
                                           "W3-torch", "W3-tape"]  # the order swaps each round
    out = capsys.readouterr().out
    assert "| round | W3-torch | W3-tape | PyTorch / lanes |" in out
    assert "median PyTorch / lanes over 3 rounds: 1.7" in out
