"""Time autograd-core against micrograd 0.1.0 on the workloads of shared/bench-workloads.md.

    python bench/run.py                 # everything (several minutes)
    python bench/run.py --quick         # small sizes, 2 repeats: a smoke run
    python bench/run.py --only W1,W3 --json results.json
    python bench/run.py --only DIGITS   # the digits demo: fit() vs fit(compile=True)
    python bench/run.py --baseline d3e7f9b --rounds 5   # W3-nn here vs an earlier commit
    python bench/run.py --versus-torch --rounds 8     # W3 lanes vs PyTorch, alternating

Every engine x workload runs in a fresh subprocess: one untimed warm-up, then the median of
5 timed repeats (``time.perf_counter``), Python's garbage collector left on as users have it.
The table gives absolute times and the ratio micrograd time / autograd-core time, with the
machine and the date; W3 rows also give PyTorch's step time / theirs (W3-torch, a peer row:
the same network batched in PyTorch 2.13.0, float64, CPU, one thread; skipped, saying so,
when torch is not installed). ``--only DIGITS`` times the digits demo's training
interpreted and with ``nn.fit(compile=True)`` (median of 3, since a run takes seconds).
Correctness checks run on every repeat; a failed check makes the command exit with status 1.
Targets missed do not change the exit status: they are reported.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # benchmark the checkout, installed or not

from bench import workloads as W  # noqa: E402

MARKER = "BENCH-RESULT "
FULL_W1 = (1_000, 10_000, 100_000, 1_000_000)
QUICK_W1 = (1_000, 10_000)
FULL_W2 = 100_000
QUICK_W2 = 10_000
WORKLOADS = ("W1", "W2", "W3", "DIGITS")
# The digits demo's training takes seconds per run: fewer repeats than the others.
DIGITS_REPEATS = 3
# micrograd's backward recurses once per node of depth; these are what it needs to finish.
BIG_RECURSION_LIMIT = 10**7
BIG_STACK = 1 << 30

TARGETS = {
    "W3-nodes": 12.0,
    "W3-nn": 50.0,
    "W3-float-tape": 100.0,
    "W3-tape": 1500.0,
    "W2": 4.0,
}


# =========================================================================== child side
def _median_times(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def _in_big_stack_thread(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a thread with a 1 GiB stack and a recursion limit of 10**7 (micrograd)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the calling thread
            box["error"] = exc

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size(BIG_STACK)
    sys.setrecursionlimit(BIG_RECURSION_LIMIT)
    try:
        thread = threading.Thread(target=target, name="big-stack")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if "error" in box:
        raise box["error"]
    return box["value"]


def _try_default_limit(build: Callable[[], tuple[Any, ...]]) -> str:
    """Run micrograd's backward once at the default recursion limit; describe what happens."""
    limit = sys.getrecursionlimit()
    graph = build()
    try:
        graph[-1].backward()
    except RecursionError as exc:
        outcome = f"RecursionError at the default recursion limit ({limit}): {exc}"
    else:
        outcome = f"completed at the default recursion limit ({limit})"
    del graph
    gc.collect()  # micrograd's graphs hold cycles; clear this one before timing starts
    return outcome


def _timed_phases(build: Callable[[], tuple[Any, ...]], check: Callable[[tuple], Any],
                  repeats: int) -> tuple[list[dict[str, float]], Any]:
    """Warm-up plus ``repeats`` runs of build / backward / free, each phase timed; checked."""
    runs = []
    checked = None
    perf = time.perf_counter
    for index in range(repeats + 1):
        t0 = perf()
        graph = build()
        t1 = perf()
        graph[-1].backward()
        t2 = perf()
        checked = check(graph)
        t3 = perf()
        del graph
        t4 = perf()
        if index:  # the first run is the warm-up
            runs.append({"build": t1 - t0, "backward": t2 - t1, "free": t4 - t3,
                         "total": (t1 - t0) + (t2 - t1) + (t4 - t3)})
    return runs, checked


def _child_graph(engine: str, build: Callable[[], tuple[Any, ...]],
                 check: Callable[[tuple], Any], repeats: int) -> dict[str, Any]:
    """Time ``build`` and backward; micrograd gets its recursion limit raised, we never do."""
    result: dict[str, Any] = {}

    def measure() -> tuple[list[dict[str, float]], Any]:
        return _timed_phases(build, check, repeats)

    if engine == "micrograd":
        result["default_limit"] = _try_default_limit(build)
        runs, checked = _in_big_stack_thread(measure)
        result["setup"] = "sys.setrecursionlimit(10**7), thread with a 1 GiB stack"
    else:
        runs, checked = measure()
        result["setup"] = f"default recursion limit ({sys.getrecursionlimit()}), main thread"
    result.update(runs=runs, median=_median_times(runs), check=checked)
    return result


def child_w1(engine: str, n: int, repeats: int) -> dict[str, Any]:
    V = W.load_value_class(engine)
    oracle = W.w1_oracle(n)
    return _child_graph(engine, lambda: W.w1_build(V, n),
                        lambda graph: W.w1_check(graph[0], graph[1], n, oracle), repeats)


def child_w2(engine: str, n: int, repeats: int) -> dict[str, Any]:
    V = W.load_value_class(engine)
    xs, ws = W.w2_data(n)
    return _child_graph(engine, lambda: W.w2_build(V, xs, ws),
                        lambda graph: W.w2_check(*graph, xs, ws), repeats)


def child_w2_memory(engine: str, n: int) -> dict[str, Any]:
    """tracemalloc's current bytes after one W2 build, per node; also GC-tracked objects."""
    V = W.load_value_class(engine)
    xs, ws = W.w2_data(n)
    gc.collect()
    objects_before = len(gc.get_objects())
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    graph = W.w2_build(V, xs, ws)
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    objects_after = len(gc.get_objects())
    nodes = W.w2_nodes(n)
    del graph
    return {
        "nodes": nodes,
        "bytes": after - before,
        "bytes_per_node": (after - before) / nodes,
        "gc_objects_per_node": (objects_after - objects_before) / nodes,
    }


def _gc_profile(fn: Callable[[], Any]) -> dict[str, Any]:
    """Run ``fn`` once with a gc callback that sums the time spent in collections."""
    spent = [0.0]
    collections = [0, 0, 0]
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - started[0]
            collections[info["generation"]] += 1

    gc.callbacks.append(callback)
    try:
        t0 = time.perf_counter()
        fn()
        total = time.perf_counter() - t0
    finally:
        gc.callbacks.remove(callback)
    return {"total": total, "gc": spent[0], "gc_share": spent[0] / total,
            "collections": collections}


def child_w3(engine: str, variant: str, repeats: int, steps: int,
             profile: bool = True) -> dict[str, Any]:
    V = W.load_value_class(engine)
    points, labels = W.moons()
    runs = []
    losses: list[float] = []
    description = ""
    perf = time.perf_counter
    for index in range(repeats + 1):
        model, params, description = W.make_w3_model(engine, variant)
        t0 = perf()
        got = W.w3_train(V, model, params, points, labels, steps)
        t1 = perf()
        # micrograd keeps parents in a set, so its gradient sums run in an order that
        # varies between runs: repeats agree to rounding, not bit for bit.
        if losses and abs(got[-1] - losses[-1]) > 1e-12 * abs(losses[-1]):
            raise AssertionError(
                f"W3 {engine} {variant}: repeats disagree, loss {got[-1]!r} vs {losses[-1]!r}"
            )
        losses = got
        if index:
            runs.append({"steps": t1 - t0, "step": (t1 - t0) / steps})
        del model, params
    gc_profile = None
    if profile:  # one more repeat, untimed, to see how much of it the collector takes
        model, params, _ = W.make_w3_model(engine, variant)
        gc_profile = _gc_profile(lambda: W.w3_train(V, model, params, points, labels, steps))
    return {"runs": runs, "median": _median_times(runs), "losses": losses,
            "final_loss": losses[-1], "model": description, "steps": steps,
            "gc_profile": gc_profile}


def _child_tape(what: str, setup: Callable[[], tuple[Any, ...]],
                train: Callable[..., list[float]], repeats: int,
                steps: int) -> tuple[dict[str, Any], Any]:
    """Time a tape workload: each repeat sets up afresh (``setup()``, timed apart as the
    trace) and trains ``steps`` steps (``train(*setup(), steps)``); the repeats must agree.
    Returns the result (without its "model") and the last tape."""
    runs = []
    losses: list[float] = []
    traces = []
    perf = time.perf_counter
    for index in range(repeats + 1):
        t0 = perf()
        made = setup()
        t1 = perf()
        got = train(*made, steps)
        t2 = perf()
        if losses and got != losses:
            raise AssertionError(f"{what}: repeats disagree, loss {got[-1]!r} vs {losses[-1]!r}")
        losses = got
        if index:
            runs.append({"steps": t2 - t1, "step": (t2 - t1) / steps})
            traces.append(t1 - t0)
    return {"runs": runs, "median": _median_times(runs), "losses": losses,
            "final_loss": losses[-1], "steps": steps, "gc_profile": None,
            "trace": statistics.median(traces)}, made[0]


def child_w3_tape(repeats: int, steps: int) -> dict[str, Any]:
    """W3 on a tape: nn.MLP's per-example loss traced once, the 100 points replayed as lanes
    per step (NumPy). The trace is timed apart; a step is one replay and the SGD update."""
    result, tape = _child_tape("W3-tape", W.w3_tape_setup, W.w3_tape_train, repeats, steps)
    result["model"] = f"nn.MLP loss traced once ({len(tape)} steps), 100 lanes"
    return result


def child_w3_float_tape(repeats: int, steps: int) -> dict[str, Any]:
    """W3 on a float tape: W3-nn's whole loss traced once (the 100 points are constants of
    the tape), each step one float replay ``tape.value_and_grad(*theta)`` and the SGD update.
    The trace (with compiling the replay, where the tape does) is timed apart."""
    result, tape = _child_tape("W3-float-tape", W.w3_float_tape_setup, W.w3_float_tape_train,
                               repeats, steps)
    replay = {True: "compiled float replay", False: "float replay, interpreted"}.get(
        getattr(tape, "compiled", None), "float replay")
    result["model"] = f"W3-nn's loss traced once ({len(tape)} steps), {replay}"
    return result


def child_w3_torch(repeats: int, steps: int) -> dict[str, Any]:
    """W3 in PyTorch, batched: the 100 points as one (100, 2) tensor, weights as matrices,
    float64 on the CPU with ``torch.set_num_threads(1)``; a step is forward, backward, SGD."""
    import torch

    runs = []
    losses: list[float] = []
    perf = time.perf_counter
    for index in range(repeats + 1):
        params, X, y = W.w3_torch_setup(threads=1)
        t0 = perf()
        got = W.w3_torch_train(params, X, y, steps)
        t1 = perf()
        if losses and got[-1] != losses[-1]:
            raise AssertionError(
                f"W3-torch: repeats disagree, loss {got[-1]!r} vs {losses[-1]!r}")
        losses = got
        if index:
            runs.append({"steps": t1 - t0, "step": (t1 - t0) / steps})
        del params, X, y
    threads = torch.get_num_threads()
    return {"runs": runs, "median": _median_times(runs), "losses": losses,
            "final_loss": losses[-1], "steps": steps, "gc_profile": None,
            "torch": torch.__version__, "threads": threads,
            "model": f"PyTorch {torch.__version__} batched, float64, CPU, "
                     f"torch.set_num_threads({threads})"}


def _fit_takes_compile() -> bool:
    import inspect

    from nn import fit

    return "compile" in inspect.signature(fit).parameters


def child_digits(compiled: bool, repeats: int, epochs: int,
                 limit: int | None = None) -> dict[str, Any]:
    """The digits demo's training (``nn.fit``), interpreted or with ``compile=True``.

    The warm-up is one untimed epoch on a fresh model; then ``repeats`` timed trainings of
    ``epochs`` epochs, each on a fresh model (tracing, for compile, is in the time).
    ``limit`` trains on the first ``limit`` examples only (tests).
    """
    if compiled and not _fit_takes_compile():
        return {"unavailable": "nn.fit has no compile= parameter (not available yet)"}
    if compiled:
        try:
            import numpy  # noqa: F401
        except ImportError:
            return {"unavailable": "skipped: compile=True needs NumPy "
                                   "(pip install 'autograd-core[fast]')"}
    data = W.digits_data()
    runs = []
    figures: dict[str, Any] = {}
    perf = time.perf_counter
    W.digits_train(data, compiled, epochs=1, limit=limit)  # warm-up
    for _ in range(repeats):
        t0 = perf()
        got = W.digits_train(data, compiled, epochs=epochs, limit=limit)
        t1 = perf()
        if figures and got["losses"] != figures["losses"]:
            raise AssertionError(f"digits: repeats disagree, loss {got['loss']!r} vs "
                                 f"{figures['loss']!r}")
        figures = got
        runs.append({"train": t1 - t0})
    return {"runs": runs, "median": _median_times(runs), "figures": figures,
            "epochs": epochs}


def child_main(spec: dict[str, Any]) -> dict[str, Any]:
    kind = spec["task"]
    engine = spec["engine"]
    if kind == "W1":
        return child_w1(engine, spec["n"], spec["repeats"])
    if kind == "W2":
        return child_w2(engine, spec["n"], spec["repeats"])
    if kind == "W2-mem":
        return child_w2_memory(engine, spec["n"])
    if kind in ("W3-nodes", "W3-nn"):
        return child_w3(engine, kind[3:], spec["repeats"], spec["steps"],
                        spec.get("profile", True))
    if kind == "W3-tape":
        return child_w3_tape(spec["repeats"], spec["steps"])
    if kind == "W3-float-tape":
        return child_w3_float_tape(spec["repeats"], spec["steps"])
    if kind == "W3-torch":
        return child_w3_torch(spec["repeats"], spec["steps"])
    if kind in ("digits-interpreted", "digits-compiled"):
        return child_digits(kind == "digits-compiled", spec["repeats"], spec["epochs"],
                            spec.get("limit"))
    raise ValueError(f"unknown task {kind!r}")


# =========================================================================== parent side
def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        from importlib.metadata import version

        import micrograd  # noqa: F401

        micrograd_version = version("micrograd")
    except Exception:  # not installed: its rows are skipped
        micrograd_version = None
    import autograd_core

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "commit": commit,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": f"{platform.system()} {platform.machine()}",
        "autograd_core": autograd_core.__version__,
        "micrograd": micrograd_version,
    }


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def run_child(spec: dict[str, Any], timeout: float, root: Path = ROOT) -> dict[str, Any]:
    """Run one engine x workload in a fresh interpreter; its result, or the error it hit.

    ``root`` is the checkout whose ``bench/run.py`` (and so whose engine) runs the task.
    """
    cmd = [sys.executable, str(root / "bench" / "run.py"), "--child", json.dumps(spec)]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=str(root))
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - started
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            result = json.loads(line[len(MARKER):])
            result["wall"] = wall
            return result
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
    if proc.returncode < 0:
        tail = f"killed by signal {-proc.returncode} ({tail})"
    return {"error": tail, "returncode": proc.returncode, "wall": wall}


def plan(args: argparse.Namespace, engines: list[str]) -> list[dict[str, Any]]:
    w1_sizes = QUICK_W1 if args.quick else FULL_W1
    w2_size = QUICK_W2 if args.quick else FULL_W2
    tasks: list[dict[str, Any]] = []
    for name in args.only:
        if name == "W1":
            for n in w1_sizes:
                tasks += [{"task": "W1", "engine": e, "n": n} for e in engines]
        elif name == "W2":
            tasks += [{"task": "W2", "engine": e, "n": w2_size} for e in engines]
            tasks += [{"task": "W2-mem", "engine": e, "n": w2_size} for e in engines]
        elif name == "W3":
            tasks += [{"task": "W3-nodes", "engine": e, "steps": W.W3_STEPS} for e in engines]
            if "autograd_core" in engines:
                tasks.append({"task": "W3-nn", "engine": "autograd_core", "steps": W.W3_STEPS})
                tasks.append({"task": "W3-float-tape", "engine": "autograd_core",
                              "steps": W.W3_STEPS})
                if _have_numpy():
                    tasks.append({"task": "W3-tape", "engine": "autograd_core",
                                  "steps": W.W3_STEPS})
            if _have_torch():
                tasks.append({"task": "W3-torch", "engine": "torch", "steps": W.W3_STEPS})
        elif name == "DIGITS":
            epochs = 1 if args.quick else W.DIGITS_EPOCHS
            tasks += [{"task": f"digits-{mode}", "engine": "autograd_core", "epochs": epochs}
                      for mode in ("interpreted", "compiled")]
    for task in tasks:
        task["repeats"] = args.repeats
        if task["task"].startswith("digits"):
            task["repeats"] = min(args.repeats, DIGITS_REPEATS)
        if task["task"].startswith("W3"):
            task["profile"] = not args.quick
    return tasks


def _have_torch() -> bool:
    """Whether PyTorch can be found (without importing it: that takes seconds)."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        print(f"PyTorch is not installed: no W3-torch row ({W.TORCH_INSTALL})",
              file=sys.stderr)
        return False
    return True


def _have_numpy() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        print("NumPy is not installed: no W3-tape row (pip install 'autograd-core[fast]')",
              file=sys.stderr)
        return False
    return True


def _key(task: dict[str, Any]) -> str:
    size = f" N={task['n']}" if "n" in task else ""
    return f"{task['task']}{size} {task['engine']}"


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_n(n: int) -> str:
    exponent = len(str(n)) - 1
    return f"1e{exponent}" if n == 10**exponent else str(n)


def _ratio(mg: float | None, ours: float | None) -> str:
    if mg is None or ours is None or ours <= 0:
        return "-"
    return f"{mg / ours:.1f}x"


def _vs(theirs: float | None, ours: float | None) -> str:
    """theirs / ours to three significant figures (for speeds far from 1x either way)."""
    if theirs is None or ours is None or ours <= 0:
        return "-"
    return f"{theirs / ours:.3g}x"


def build_report(results: dict[str, dict[str, Any]], tasks: list[dict[str, Any]],
                 info: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """(table lines, targets, failed checks).

    The table's "vs PyTorch" column is PyTorch's W3 step time / this row's (above 1: faster
    than PyTorch batched in the same run). The digits rows, which micrograd has no part in,
    come as a second table.
    """
    failures: list[str] = []
    rows: list[tuple[str, ...]] = []

    def get(task: dict[str, Any]) -> dict[str, Any] | None:
        return results.get(_key(task))

    def ok(res: dict[str, Any] | None) -> bool:
        return res is not None and "error" not in res and "unavailable" not in res

    def median(res: dict[str, Any] | None, key: str) -> float | None:
        return res["median"][key] if ok(res) else None

    def status(res: dict[str, Any] | None) -> str | None:
        if res is not None and "error" in res:
            return "failed: " + res["error"][:60]
        return None

    for task in tasks:
        res = get(task)
        if res is not None and "error" in res:
            failures.append(f"{_key(task)}: {res['error']}")
    torch_task = next((t for t in tasks if t["task"] == "W3-torch"), None)
    torch_res = get(torch_task) if torch_task is not None else None
    torch_step = median(torch_res, "step")
    nn_task = next((t for t in tasks if t["task"] == "W3-nn"), None)
    nn_res = get(nn_task) if nn_task is not None else None
    seen: set[str] = set()
    targets: list[dict[str, Any]] = []
    for task in tasks:
        kind = task["task"]
        label = kind + (f" N={fmt_n(task['n'])}" if "n" in task else "")
        if label in seen or task["engine"] == "micrograd" or kind.startswith("digits"):
            continue
        seen.add(label)
        ours = get(task)
        mg = get({**task, "engine": "micrograd"}) if kind in ("W1", "W2", "W2-mem") else get(
            {**task, "task": "W3-nodes", "engine": "micrograd"})
        if kind in ("W1", "W2"):
            phases = ("build", "backward", "total")
            for phase in phases:
                name = "build + backward + free" if phase == "total" else phase
                rows.append((label, name,
                             status(mg) or fmt_time(median(mg, phase)),
                             status(ours) or fmt_time(median(ours, phase)),
                             _ratio(median(mg, phase), median(ours, phase)), "-"))
            if kind == "W2":
                targets.append(_target("W2 build + backward + free", median(mg, "total"),
                                       median(ours, "total"), TARGETS["W2"]))
            if kind == "W1" and task["n"] == max(t["n"] for t in tasks if t["task"] == "W1"):
                done = ours is not None and "error" not in ours
                targets.append({"target": f"W1 N={fmt_n(task['n'])} completes",
                                "value": "completes" if done else "failed", "met": done})
        elif kind == "W2-mem":
            b_ours = None if ours is None or "error" in ours else ours["bytes_per_node"]
            b_mg = None if mg is None or "error" in mg else mg["bytes_per_node"]
            rows.append((label, "bytes per node (tracemalloc)",
                         "-" if b_mg is None else f"{b_mg:.0f} B",
                         "-" if b_ours is None else f"{b_ours:.0f} B",
                         _ratio(b_mg, b_ours), "-"))
            met = None if b_ours is None or b_mg is None else b_ours <= b_mg / 2
            targets.append({"target": "W2 bytes/node <= half of micrograd's",
                            "value": _ratio(b_mg, b_ours), "met": met})
        else:
            model = f" ({ours['model']})" if ok(ours) else ""
            if kind == "W3-torch":
                model = f" (peer, {ours['model']})" if ok(ours) else " (peer: PyTorch)"
            rows.append((label, "one training step" + model,
                         status(mg) or fmt_time(median(mg, "step")),
                         status(ours) or fmt_time(median(ours, "step")),
                         _ratio(median(mg, "step"), median(ours, "step")),
                         "-" if kind == "W3-torch" else _vs(torch_step, median(ours, "step"))))
            if kind in TARGETS:
                targets.append(_target(f"{kind} step", median(mg, "step"),
                                       median(ours, "step"), TARGETS[kind]))
            if kind == "W3-tape":
                lanes = median(ours, "step")
                met = None if lanes is None or torch_step is None else lanes < torch_step
                targets.append({"target": "W3-tape step faster than W3-torch (PyTorch batched, "
                                          "same run)",
                                "value": _vs(torch_step, lanes) + " PyTorch's speed"
                                if met is not None else "-", "met": met})
            if not ok(ours):
                continue
            checks = {"W3-tape": ("loss_vs_nn", W.w3_tape_check),
                      "W3-float-tape": ("loss_vs_nn", W.w3_float_tape_check),
                      "W3-torch": ("loss_vs_nn", W.w3_torch_check)}
            if kind in checks and ok(nn_res):
                field, check = checks[kind]
                try:
                    ours[field] = check(ours["final_loss"], nn_res["final_loss"])
                except AssertionError as exc:
                    failures.append(str(exc))
            if ok(mg):
                try:
                    rel = W.w3_check(ours["final_loss"], mg["final_loss"], kind)
                    ours["loss_vs_micrograd"] = rel
                except AssertionError as exc:
                    failures.append(str(exc))
    lines = []
    if rows:
        lines = ["| workload | measure | micrograd 0.1.0 | autograd-core | ratio | vs PyTorch |",
                 "| --- | --- | ---: | ---: | ---: | ---: |"]
        lines += [f"| {' | '.join(row)} |" for row in rows]
    digits = _digits_report(results, tasks, failures, targets)
    if digits:
        lines += ["", *digits] if lines else digits
    return lines, targets, failures


def _digits_report(results: dict[str, dict[str, Any]], tasks: list[dict[str, Any]],
                   failures: list[str], targets: list[dict[str, Any]]) -> list[str]:
    """The digits demo's training, interpreted vs ``compile=True``: a table of two columns."""
    found = {t["task"]: results.get(_key(t)) for t in tasks if t["task"].startswith("digits")}
    if not found:
        return []
    interp, comp = found.get("digits-interpreted"), found.get("digits-compiled")
    epochs = next(t["epochs"] for t in tasks if t["task"].startswith("digits"))
    repeats = next(t["repeats"] for t in tasks if t["task"].startswith("digits"))

    def cell(res: dict[str, Any] | None, what: str) -> str:
        if res is None:
            return "-"
        if "error" in res:
            return "failed: " + res["error"][:60]
        if "unavailable" in res:
            return res["unavailable"]
        if what == "time":
            return fmt_time(res["median"]["train"])
        return f"{res['figures']['val_accuracy']:.2%}"

    def good(res: dict[str, Any] | None) -> bool:
        return res is not None and "error" not in res and "unavailable" not in res

    ratio = "-"
    met = None
    if good(interp) and good(comp):
        t_i, t_c = interp["median"]["train"], comp["median"]["train"]
        ratio = f"{t_i / t_c:.1f}x"
        met = t_c <= t_i / 10
        try:
            comp["loss_vs_interpreted"] = W.digits_check(comp["figures"], interp["figures"])
        except AssertionError as exc:
            failures.append(str(exc))
            met = False
    targets.append({"target": "digits training with compile=True <= 1/10 of interpreted, "
                              "same held-out accuracy", "value": ratio, "met": met})
    return [
        f"digits demo training (MLP 64-32-10, cross-entropy, Adam lr 0.01, batches of "
        f"{W.DIGITS_BATCH}, {epochs} epoch(s); median of {repeats} after a 1-epoch warm-up)",
        "",
        "| workload | measure | interpreted fit | fit(compile=True) | ratio |",
        "| --- | --- | ---: | ---: | ---: |",
        f"| digits | training time | {cell(interp, 'time')} | {cell(comp, 'time')} | {ratio} |",
        f"| digits | held-out accuracy | {cell(interp, 'acc')} | {cell(comp, 'acc')} | - |",
    ]


def _target(name: str, mg: float | None, ours: float | None, want: float) -> dict[str, Any]:
    if mg is None or ours is None:
        return {"target": f"{name} >= {want:g}x micrograd", "value": "-", "met": None}
    ratio = mg / ours
    return {"target": f"{name} >= {want:g}x micrograd", "value": f"{ratio:.1f}x",
            "met": ratio >= want}


def notes(results: dict[str, dict[str, Any]], skipped: Sequence[str] = ()) -> list[str]:
    out = [f"- {line}" for line in skipped]
    for key, res in results.items():
        if key.endswith("micrograd") and "default_limit" in res:
            out.append(f"- {key.replace(' micrograd', '')}: micrograd {res['default_limit']}; "
                       f"timed with {res['setup']}.")
    for key, res in results.items():
        if key.startswith("W3") and "error" not in res:
            prof = res["gc_profile"]
            extra = ""
            if "loss_vs_micrograd" in res:
                extra = f", relative difference from micrograd {res['loss_vs_micrograd']:.1e}"
            if "loss_vs_nn" in res:
                same = " (bit for bit)" if res["loss_vs_nn"] == 0 and key.startswith(
                    "W3-float-tape") else ""
                extra += f", from W3-nn {res['loss_vs_nn']:.1e}{same}"
            if "trace" in res:
                extra += (f"; tracing{' and compiling' if 'compiled' in res['model'] else ''}"
                          f" took {fmt_time(res['trace'])} once (not in the step time)")
            if "threads" in res:
                extra += (f"; torch {res['torch']}, torch.set_num_threads(1) (one core, as "
                          f"autograd-core uses): get_num_threads() = {res['threads']}")
            if prof is not None:
                extra += (f"; cyclic GC took {prof['gc_share']:.0%} of an extra profiled repeat "
                          f"(collections per generation {prof['collections']})")
            out.append(
                f"- {key}: loss after {res['steps']} steps {res['final_loss']:.12g}{extra}."
            )
        if key.startswith("digits-compiled") and "loss_vs_interpreted" in res:
            out.append(f"- digits: final training loss {res['figures']['loss']:.12g} with "
                       "compile=True, relative difference from interpreted "
                       f"{res['loss_vs_interpreted']:.1e}; held-out accuracy equal; the "
                       "compiled time includes tracing.")
        if key.startswith("W2-mem") and "error" not in res:
            out.append(f"- {key}: {res['bytes_per_node']:.0f} bytes and "
                       f"{res['gc_objects_per_node']:.2f} GC-tracked objects per node.")
    return out


def export_revision(rev: str, folder: Path) -> str:
    """Write the tree of git revision ``rev`` into ``folder``; returns its short hash."""
    def git(*words: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", *words], cwd=ROOT, capture_output=True, check=False)

    found = git("rev-parse", "--short", "--verify", f"{rev}^{{commit}}")
    if found.returncode != 0:
        raise SystemExit(f"bench/run.py: --baseline: {rev!r} is not a commit of this repository")
    archive = git("archive", "--format=tar", rev)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return found.stdout.decode().strip()


def _alternating(sides: dict[str, tuple[dict[str, Any], Path]], rounds: int,
                 timeout: float) -> list[dict[str, dict[str, Any]]] | str:
    """Each side's task run in a fresh process, the sides one after the other (their order
    swapped every round) ``rounds`` times, so that drift in the machine's load falls on all
    alike; every round's results, or the first error as a message."""
    results = []
    names = list(sides)
    for round_ in range(1, rounds + 1):
        pair = {}
        for name in names if round_ % 2 else names[::-1]:
            spec, root = sides[name]
            res = run_child(spec, timeout, root)
            if "error" in res:
                return f"FAILED: {spec['task']} ({name}): {res['error']}"
            pair[name] = res
        steps = ", ".join(f"{n} {fmt_time(pair[n]['median']['step'])}" for n in names)
        print(f"round {round_}: {steps}", file=sys.stderr, flush=True)
        results.append(pair)
    return results


def _ratio_table(results: list[dict[str, dict[str, Any]]], top: str, bottom: str,
                 label: str) -> list[str]:
    """Per round, both sides' step times and top / bottom; then their median and spread."""
    ratios = [r[top]["median"]["step"] / r[bottom]["median"]["step"] for r in results]
    lines = [f"| round | {top} | {bottom} | {label} |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {i} | {fmt_time(r[top]['median']['step'])} | "
              f"{fmt_time(r[bottom]['median']['step'])} | {q:.3f} |"
              for i, (r, q) in enumerate(zip(results, ratios, strict=True), 1)]
    lines += ["", f"median {label} over {len(ratios)} rounds: {statistics.median(ratios):.3f} "
              f"(spread {min(ratios):.3f} to {max(ratios):.3f})"]
    return lines


def compare_baseline(args: argparse.Namespace) -> int:
    """W3-nn of this checkout against the same workload at git revision ``args.baseline``,
    in alternating runs (:func:`_alternating`); the table gives each round's medians and the
    median over rounds of (this checkout / baseline)."""
    spec = {"task": "W3-nn", "engine": "autograd_core", "steps": W.W3_STEPS,
            "repeats": args.repeats, "profile": False}
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        base = Path(tmp)
        short = export_revision(args.baseline, base)
        results = _alternating({"this checkout": (spec, ROOT), "baseline": (spec, base)},
                               args.rounds, args.timeout)
    if isinstance(results, str):
        print(results)
        return 1
    for pair in results:
        ours, theirs = (pair[k]["final_loss"] for k in ("this checkout", "baseline"))
        if abs(ours - theirs) > 1e-9 * abs(theirs):
            print(f"FAILED: W3-nn loss differs from the baseline's: {ours!r} vs {theirs!r}")
            return 1
    print(f"W3-nn step, this checkout vs baseline {args.baseline} ({short}); "
          f"median of {args.repeats} repeats per run, runs alternating; load {_load()}")
    print()
    print("\n".join(_ratio_table(results, "this checkout", "baseline",
                                 "this / baseline")))
    return 0


def compare_torch(args: argparse.Namespace) -> int:
    """W3 on lanes (W3-tape) against PyTorch batched (W3-torch) in alternating runs: the
    issue's "faster per step than PyTorch" measured so that the machine's drift falls on
    both; the table gives each round and the median of PyTorch / lanes."""
    if not _have_numpy() or not _have_torch():
        return 1
    steps = W.W3_STEPS
    sides = {
        "W3-torch": ({"task": "W3-torch", "engine": "torch", "steps": steps,
                      "repeats": args.repeats}, ROOT),
        "W3-tape": ({"task": "W3-tape", "engine": "autograd_core", "steps": steps,
                     "repeats": args.repeats}, ROOT),
    }
    results = _alternating(sides, args.rounds, args.timeout)
    if isinstance(results, str):
        print(results)
        return 1
    for pair in results:
        W.w3_torch_check(pair["W3-torch"]["final_loss"], pair["W3-tape"]["final_loss"])
    print(f"W3 step on 100 lanes vs PyTorch batched (float64, one thread); median of "
          f"{args.repeats} repeats per run, runs alternating; load {_load()}")
    print()
    print("\n".join(_ratio_table(results, "W3-torch", "W3-tape", "PyTorch / lanes")))
    return 0


def write_json_atomic(path: Path, data: Any) -> None:
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Time autograd-core against micrograd 0.1.0 (shared/bench-workloads.md).",
    )
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (W1 N=1e3,1e4; W2 N=1e4) and 2 repeats: a smoke run")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help="comma-separated workloads to run, from W1,W2,W3,DIGITS "
                        "(default: all)")
    parser.add_argument("--json", type=Path, metavar="PATH",
                        help="also write every figure (all repeats) as JSON to PATH")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats after the warm-up (default 5, 2 with --quick)")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds allowed for one engine x workload process (default 3600)")
    parser.add_argument("--baseline", metavar="REV",
                        help="instead of the peers, time W3-nn here against git revision REV, "
                        "alternating runs (see --rounds)")
    parser.add_argument("--versus-torch", action="store_true",
                        help="instead of the peers, time W3-tape (lanes) against W3-torch "
                        "(PyTorch batched) in alternating runs (see --rounds)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="with --baseline or --versus-torch: runs of each side (default 5)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return args
    only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in only if w not in WORKLOADS]
    if unknown or not only:
        parser.error(f"--only takes workloads from {','.join(WORKLOADS)}; got {args.only!r}")
    args.only = list(dict.fromkeys(only))
    if args.repeats is None:
        args.repeats = 2 if args.quick else 5
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.json is not None and not args.json.resolve().parent.is_dir():
        parser.error(f"--json: the folder {args.json.resolve().parent} does not exist")
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    if args.timeout <= 0:
        parser.error(f"--timeout must be positive, got {args.timeout}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        result = child_main(json.loads(args.child))
        print(MARKER + json.dumps(result), flush=True)
        return 0
    if args.baseline is not None:
        return compare_baseline(args)
    if args.versus_torch:
        return compare_torch(args)
    info = machine_info()
    engines = ["autograd_core"] + (["micrograd"] if info["micrograd"] else [])
    if not info["micrograd"]:
        print("micrograd is not installed (pip install -r bench/requirements.txt): "
              "timing autograd-core alone, no ratios.", file=sys.stderr)
    now = _dt.datetime.now(_dt.timezone.utc)
    load_start = _load()
    tasks = plan(args, engines)
    results: dict[str, dict[str, Any]] = {}
    for i, task in enumerate(tasks, 1):
        key = _key(task)
        print(f"[{i}/{len(tasks)}] {key} ...", end="", file=sys.stderr, flush=True)
        res = run_child(task, args.timeout)
        results[key] = res
        done = res.get("error") or f"{res['wall']:.1f} s"
        print(f" {done}", file=sys.stderr, flush=True)
    load_end = _load()
    table, targets, failures = build_report(results, tasks, info)
    header = [
        f"autograd-core {info['autograd_core']} (commit {info['commit'] or 'unknown'}) vs "
        f"micrograd {info['micrograd'] or '(absent)'}, {now:%Y-%m-%d %H:%M} UTC",
        f"machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"{info['platform']}, {info['python']}",
        f"method: median of {args.repeats} timed repeats after 1 untimed warm-up, "
        "time.perf_counter, GC on, each engine x workload in a fresh process"
        + (" (--quick sizes)" if args.quick else ""),
        f"load average (1, 5, 15 min): {load_start} at start, {load_end} at end",
        "ratio = micrograd time / autograd-core time (for bytes: micrograd / ours); "
        "vs PyTorch = W3-torch's step time / this row's (above 1x: faster than PyTorch); "
        "the W3-torch row has PyTorch's time in the autograd-core column",
    ]
    print("\n".join(header))
    print()
    print("\n".join(table))
    print()
    skipped = []
    if "W3" in args.only and not any(t["task"] == "W3-torch" for t in tasks):
        skipped.append(f"W3-torch: skipped, PyTorch is not installed ({W.TORCH_INSTALL})")
    if "W3" in args.only and "autograd_core" in engines and not any(
            t["task"] == "W3-tape" for t in tasks):
        skipped.append("W3-tape: skipped, NumPy is not installed "
                       "(pip install 'autograd-core[fast]')")
    for line in notes(results, skipped):
        print(line)
    print()
    print("targets:")
    for t in targets:
        mark = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        print(f"- {t['target']}: {t['value']} ({mark})")
    if failures:
        print()
        print("FAILED:")
        for f in failures:
            print(f"- {f}")
    if args.json is not None:
        write_json_atomic(args.json, {
            "date": now.isoformat(timespec="seconds"), "machine": info,
            "load_average": {"start": load_start, "end": load_end},
            "repeats": args.repeats, "quick": args.quick, "results": results,
            "targets": targets, "failures": failures, "table": table,
        })
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
