"""Small datasets for the demo and the tests.

- :func:`make_moons`: two interleaving half circles, built in and deterministic (no
  scikit-learn needed), shuffled like scikit-learn's unless ``shuffle=False``, which with
  the other defaults is exactly the benchmark's W3 data set (outer moon first).
- :func:`sklearn_moons`: scikit-learn's ``make_moons`` (the micrograd demo's data), labels
  mapped to -1/+1.
- :func:`digits`: scikit-learn's 8x8 handwritten digits, scaled to [0, 1], split into a
  training and a held-out part.

Every function returns plain Python lists.

>>> X, y = make_moons(6, noise=0.0)
>>> len(X), sorted(set(y))
(6, [-1, 1])
>>> X, y = make_moons(100)                  # shuffled: a split keeps both classes
>>> sorted(set(y[:50])), sorted(set(y[50:]))
([-1, 1], [-1, 1])
"""

from __future__ import annotations

import math
import random
from typing import Any


def make_moons(
    n_samples: int = 100,
    noise: float = 0.1,
    seed: int | None = 1337,
    *,
    shuffle: bool = True,
    random_state: int | None = None,
) -> tuple[list[list[float]], list[int]]:
    """Two moons, ``n_samples // 2`` points each (any odd one goes to the outer moon).

    Outer moon (label -1): ``(cos t, sin t)``; inner moon (label +1):
    ``(1 - cos t, 1 - sin t - 0.5)``, ``t`` evenly spaced over ``[0, pi]``, plus Gaussian
    noise from ``random.Random(seed)`` drawn x then y, outer moon first. Then, as
    scikit-learn's ``make_moons`` does by default, the points are shuffled (with the same
    generator); ``shuffle=False`` keeps them in that order, sorted by class.
    ``random_state`` is scikit-learn's name for ``seed`` (give one or the other).
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2:
        raise ValueError(f"n_samples must be an int >= 2, got {n_samples!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be True or False, got {type(shuffle).__name__}")
    rng = random.Random(_seed(seed, random_state))
    n_inner = n_samples // 2
    n_outer = n_samples - n_inner
    X: list[list[float]] = []
    y: list[int] = []
    for count, label in ((n_outer, -1), (n_inner, 1)):
        for i in range(count):
            t = math.pi * i / max(count - 1, 1)
            if label == -1:
                px, py = math.cos(t), math.sin(t)
            else:
                px, py = 1 - math.cos(t), 1 - math.sin(t) - 0.5
            gx = rng.gauss(0, noise)
            gy = rng.gauss(0, noise)
            X.append([px + gx, py + gy])
            y.append(label)
    if shuffle:
        order = list(range(n_samples))
        rng.shuffle(order)
        X = [X[i] for i in order]
        y = [y[i] for i in order]
    return X, y


def _seed(seed: Any, random_state: Any) -> int | None:
    """The seed from ``seed`` or its scikit-learn name ``random_state`` (an int or None)."""
    if random_state is not None:
        if seed not in (None, 1337, random_state):
            raise ValueError(
                f"give seed= or random_state= (the same thing), not both: got seed={seed!r} "
                f"and random_state={random_state!r}"
            )
        seed = random_state
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(
            f"seed must be an int or None, got {type(seed).__name__}; a numpy generator is "
            "not accepted here (pass an int)"
        )
    return seed


def _sklearn(what: str) -> Any:
    try:
        import sklearn.datasets
    except ImportError:
        raise ImportError(
            f"{what} needs scikit-learn: pip install 'autograd-core[demo]' "
            "(or use nn.datasets.make_moons, which is built in)"
        ) from None
    return sklearn.datasets


def sklearn_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int = 1, *, shuffle: bool = True
) -> tuple[list[list[float]], list[int]]:
    """scikit-learn's ``make_moons`` as lists, labels -1/+1 (micrograd's demo data).

    Shuffled, as scikit-learn's is by default; ``shuffle=False`` gives its class order.
    """
    X, y = _sklearn("sklearn_moons").make_moons(
        n_samples=n_samples, noise=noise, random_state=seed, shuffle=shuffle
    )
    return X.tolist(), [2 * int(v) - 1 for v in y]


def digits(
    test_fraction: float = 0.25, seed: int = 0
) -> tuple[list[list[float]], list[int], list[list[float]], list[int]]:
    """scikit-learn's 8x8 digits: ``(X_train, y_train, X_test, y_test)``.

    Pixels are scaled to [0, 1]; labels are ints 0..9. The split is shuffled with
    ``random.Random(seed)``; ``test_fraction`` of the 1797 images are held out.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    data = _sklearn("digits").load_digits()
    X = [[v / 16.0 for v in row] for row in data.data.tolist()]
    y = [int(v) for v in data.target.tolist()]
    order = list(range(len(X)))
    random.Random(seed).shuffle(order)
    n_test = round(len(X) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return ([X[i] for i in train], [y[i] for i in train],
            [X[i] for i in test], [y[i] for i in test])


__all__ = ["digits", "make_moons", "sklearn_moons"]
