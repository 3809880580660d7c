"""The articles' MNIST classifier, 784-128-10 with SGD and sparse categorical cross-entropy,
on this engine: the Keras program as written, on 28x28 images made from scikit-learn's 8x8
digits (each upsampled 3.5x, bilinear, so the shapes are MNIST's).

    python examples/keras_mnist_like.py                 # 300 training images, 3 epochs
    python examples/keras_mnist_like.py --train 1200 --epochs 5   # ~94% test accuracy
    python examples/keras_mnist_like.py --interpret     # a graph of Values per image

The network has 101,770 parameters, each a scalar Value. ``compile(jit_compile=True)``
traces one image's loss once (~300 instructions) and trains each batch of 32 images as
NumPy lanes: 300 images x 3 epochs train in about 4 to 6 s, half of it the check against
the interpreter before training. With ``--interpret`` each image's
forward and backward pass builds and differentiates ~140 nodes with ~100k inputs, about
40 s for the same run. Prints the loss and accuracy per epoch and the test accuracy.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nn import Dense, Sequential
from nn.keras import SGD


def digits_28x28(n_train: int, n_test: int, seed: int = 0):
    """``(x_train, y_train), (x_test, y_test)``: flat rows of 784 numbers in [0, 1] (the 8x8
    digits upsampled to 28x28) and integer labels 0..9, shuffled with ``seed``."""
    import numpy as np
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.images))
    if n_train + n_test > len(order):
        raise SystemExit(f"--train + --test must be at most {len(order)}")
    pick = order[: n_train + n_test]
    images = np.stack([zoom(digits.images[i] / 16.0, 3.5, order=1) for i in pick])
    images = images.clip(0.0, 1.0).reshape(len(pick), 28 * 28)
    labels = digits.target[pick]
    return ((images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:]))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train", type=int, default=300, help="training images (subset)")
    parser.add_argument("--test", type=int, default=200, help="test images")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1,
                        help="SGD learning rate (Keras' default 0.01 needs many more steps)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--interpret", action="store_true",
                        help="train with the interpreter (a graph per example) instead of "
                        "compile(jit_compile=True)")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = digits_28x28(args.train, args.test, args.seed)
    print(f"x_train {x_train.shape}, x_test {x_test.shape}")

    model = Sequential([
        Dense(128, activation="relu", input_shape=(784,)),
        Dense(10, activation="softmax"),
    ], seed=args.seed)
    model.summary()
    model.compile(optimizer=SGD(learning_rate=args.lr),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=not args.interpret)
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        verbose=1)
    spent = time.perf_counter() - start
    test_loss, test_acc = model.evaluate(x_test, y_test)
    print(f"Test accuracy: {test_acc:.4f}  (test loss {test_loss:.4f}; chance 0.1)")
    print(f"trained in {spent:.1f} s")
    result = {"first_loss": history.history["loss"][0], "last_loss": history.history["loss"][-1],
              "test_loss": test_loss, "test_accuracy": test_acc}
    print("RESULT", " ".join(f"{k}={v:.6f}" for k, v in result.items()))
    return result


if __name__ == "__main__":
    main()
