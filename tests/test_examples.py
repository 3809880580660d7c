"""The articles' Keras examples run end to end (small settings) and learn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *args: str) -> tuple[str, dict[str, float]]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    figures = dict(item.split("=") for item in line.split()[1:])
    return done.stdout, {k: float(v) for k, v in figures.items()}


def test_regression_10_10_10_1_with_mse_and_adam_learns() -> None:
    out, r = run("keras_regression.py", "--samples", "200", "--test", "100", "--epochs", "10",
                 "--verbose", "1")
    assert "Total params: 231" in out  # 10*11 + 10*11 + 11: the 10-10-10-1 network
    assert out.count("Epoch ") == 10 and "mae:" in out and "val_loss:" in out
    assert r["last_loss"] < 0.5 * r["first_loss"]
    assert r["test_mse"] < 0.5 * r["baseline_mse"]  # far better than predicting the mean


def test_mnist_like_784_128_10_with_sgd_learns() -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("scipy")
    out, r = run("keras_mnist_like.py", "--train", "80", "--test", "60", "--epochs", "2",
                 "--batch-size", "8")
    assert "x_train (80, 784)" in out  # 28x28 images, flattened as the article's
    assert "Total params: 101,770" in out  # the article's 784-128-10 network
    assert "accuracy:" in out and "Test accuracy:" in out
    assert r["last_loss"] < r["first_loss"]
    assert r["test_accuracy"] >= 0.35  # chance is 0.1


def test_the_compiled_run_prints_what_the_interpreter_prints() -> None:
    args = ("--samples", "120", "--test", "50", "--epochs", "4", "--verbose", "0")
    _, compiled = run("keras_regression.py", *args)
    _, interpreted = run("keras_regression.py", *args, "--interpret")
    assert compiled == interpreted  # every figure, to the 6 decimals printed
