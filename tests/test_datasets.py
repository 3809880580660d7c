"""Dataset helpers shuffle by default, like scikit-learn's, so a split keeps both classes."""

from __future__ import annotations

import pytest

from bench import workloads as W
from nn.datasets import make_moons, sklearn_moons


@pytest.mark.parametrize("n", [20, 100, 200, 301])
def test_a_split_of_the_default_moons_keeps_both_classes(n):
    X, y = make_moons(n)
    cut = n * 3 // 4  # the issue's X[:150] / X[150:] for 200 points
    for part in (y[:cut], y[cut:]):
        assert set(part) == {-1, 1}
    # and not just one stray point: the training part is roughly balanced
    assert 0.3 < y[:cut].count(1) / cut < 0.7
    assert len(X) == len(y) == n


def test_unshuffled_moons_are_the_benchmark_data_in_class_order():
    X, y = make_moons(shuffle=False)
    points, labels = W.moons()
    assert X == [list(p) for p in points]
    assert y == [int(v) for v in labels]
    assert y == sorted(y)


def test_shuffling_only_reorders_the_same_points():
    X, y = make_moons(60, noise=0.2, seed=7)
    Xs, ys = make_moons(60, noise=0.2, seed=7, shuffle=False)
    assert sorted(zip(map(tuple, X), y, strict=True)) == sorted(
        zip(map(tuple, Xs), ys, strict=True))
    assert (X, y) != (Xs, ys)
    assert make_moons(60, noise=0.2, seed=7) == (X, y)  # deterministic for a seed


def test_random_state_is_the_seed_under_scikit_learns_name():
    assert make_moons(40, random_state=3) == make_moons(40, seed=3)
    assert make_moons(40, random_state=3) != make_moons(40, random_state=4)
    with pytest.raises(ValueError, match="seed= or random_state="):
        make_moons(40, seed=2, random_state=3)
    with pytest.raises(TypeError, match="seed must be an int"):
        make_moons(40, seed=1.5)
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        make_moons(40, shuffle="no")


def test_sklearn_moons_passes_shuffle_through():
    pytest.importorskip("sklearn")
    _, y = sklearn_moons(40, shuffle=False)
    assert y == [-1] * 20 + [1] * 20
    _, y = sklearn_moons(40)
    assert y != sorted(y) and set(y[:30]) == set(y[30:]) == {-1, 1}


def test_the_issues_split_now_validates_well():
    # Training on the first three quarters, validating on the rest: with the points sorted by
    # class this was 22% (the validation part held nearly one class only).
    from nn import MLP, SGD, fit
    from nn.losses import hinge

    X, y = make_moons(120, noise=0.1)
    model = MLP(2, [8, 8, 1], seed=0)
    fit(model, X[:90], y[:90], loss=hinge, optimizer=SGD(model, lr=0.5), epochs=60,
        progress=False, seed=0)
    right = sum((model.predict_one(x) > 0) == (t > 0) for x, t in zip(X[90:], y[90:],
                                                                      strict=True))
    assert right / 30 >= 0.9
