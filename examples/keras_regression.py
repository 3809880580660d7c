"""The articles' regression network, 10-10-10-1 with mean squared error and Adam, on this
engine: the Keras program as written, on a small synthetic dataset (10 features, a smooth
nonlinear target plus noise).

    python examples/keras_regression.py                  # 400 samples, 40 epochs
    python examples/keras_regression.py --samples 1000 --epochs 100

Prints the loss (MSE) and mean absolute error per epoch, the test figures, and a baseline:
the MSE of always predicting the mean, which the network should beat by far.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nn import Dense, Sequential
from nn.keras import Adam, MeanSquaredError


def make_data(n: int, seed: int = 0, noise: float = 0.05) -> tuple[list[list[float]], list[float]]:
    """``n`` rows of 10 features uniform in [-1, 1] and targets
    ``sin(2 x0) + x1 x2 + 0.5 x3**2 - 0.3 x4 + noise``."""
    rng = random.Random(seed)
    X, y = [], []
    for _ in range(n):
        x = [rng.uniform(-1.0, 1.0) for _ in range(10)]
        t = math.sin(2 * x[0]) + x[1] * x[2] + 0.5 * x[3] ** 2 - 0.3 * x[4]
        X.append(x)
        y.append(t + rng.gauss(0.0, noise))
    return X, y


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--samples", type=int, default=400, help="training samples")
    parser.add_argument("--test", type=int, default=200, help="test samples")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01, help="Adam's learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--interpret", action="store_true",
                        help="train with the interpreter (a graph per example) instead of "
                        "compile(jit_compile=True)")
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args(argv)

    x_train, y_train = make_data(args.samples, args.seed)
    x_test, y_test = make_data(args.test, args.seed + 1)

    model = Sequential([
        Dense(10, activation="relu", input_shape=(10,)),
        Dense(10, activation="relu"),
        Dense(1),
    ], seed=args.seed)
    model.summary()
    model.compile(optimizer=Adam(learning_rate=args.lr), loss=MeanSquaredError(),
                  metrics=["mae"],
                  jit_compile=not args.interpret)
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=(x_test, y_test), verbose=args.verbose)
    spent = time.perf_counter() - start
    test_mse, test_mae = model.evaluate(x_test, y_test)
    mean = sum(y_train) / len(y_train)
    baseline = sum((t - mean) ** 2 for t in y_test) / len(y_test)
    print(f"Test MSE: {test_mse:.4f}  MAE: {test_mae:.4f}  "
          f"(predicting the mean: MSE {baseline:.4f})")
    print(f"trained in {spent:.1f} s")
    result = {"first_loss": history.history["loss"][0], "last_loss": history.history["loss"][-1],
              "test_mse": test_mse, "test_mae": test_mae, "baseline_mse": baseline}
    print("RESULT", " ".join(f"{k}={v:.6f}" for k, v in result.items()))
    return result


if __name__ == "__main__":
    main()
