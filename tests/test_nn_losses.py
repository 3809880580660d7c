"""nn.losses: values against independent formulas, gradients against finite differences."""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd_core import Value, gradients
from nn.losses import (
    binary_cross_entropy,
    cross_entropy,
    get_loss,
    hinge,
    l2,
    logsumexp,
    mse,
    softplus,
)

H = 1e-6


def _check_gradients(loss_of, xs, rel=1e-5, abs_=1e-6):
    """Gradient of loss_of(list of Values) w.r.t. each x, against central differences."""
    leaves = [Value(v) for v in xs]
    loss_of(leaves).backward()
    for i, v in enumerate(xs):
        up = list(xs)
        up[i] = v + H
        down = list(xs)
        down[i] = v - H
        fd = (loss_of([Value(u) for u in up]).data - loss_of([Value(d) for d in down]).data) / (
            2 * H
        )
        assert math.isclose(leaves[i].grad, fd, rel_tol=rel, abs_tol=abs_), (i, leaves[i].grad, fd)


small = st.floats(-5, 5)


@given(st.lists(st.tuples(small, small), min_size=1, max_size=5))
def test_mse_value_and_gradient(pairs):
    preds = [p for p, _ in pairs]
    targets = [t for _, t in pairs]
    loss = mse([Value(p) for p in preds], targets)
    expected = sum((p - t) ** 2 for p, t in pairs) / len(pairs)
    assert math.isclose(loss.data, expected, rel_tol=1e-12, abs_tol=1e-12)
    _check_gradients(lambda vs: mse(vs, targets), preds)


@given(st.lists(small, min_size=3, max_size=3), st.lists(small, min_size=3, max_size=3))
def test_mse_several_outputs_averages_every_element(p, t):
    loss = mse([[Value(v) for v in p]], [t])
    assert math.isclose(loss.data, sum((a - b) ** 2 for a, b in zip(p, t, strict=True)) / 3,
                        rel_tol=1e-12, abs_tol=1e-12)
    _check_gradients(lambda vs: mse([vs], [t]), p)


@given(st.lists(st.tuples(st.floats(-10, 10), st.sampled_from([0.0, 1.0, 0.25])),
                min_size=1, max_size=5))
def test_binary_cross_entropy_value_and_gradient(pairs):
    zs = [z for z, _ in pairs]
    ts = [t for _, t in pairs]

    def naive(z, t):  # -[t log s + (1 - t) log(1 - s)], accurate enough for |z| <= 10
        s = 1 / (1 + math.exp(-z))
        return -(t * math.log(s) + (1 - t) * math.log1p(-s)) if 0 < s < 1 else math.nan

    expected = [naive(z, t) for z, t in pairs]
    assume(all(math.isfinite(e) for e in expected))
    loss = binary_cross_entropy([Value(z) for z in zs], ts)
    assert math.isclose(loss.data, sum(expected) / len(pairs), rel_tol=1e-9, abs_tol=1e-9)
    _check_gradients(lambda vs: binary_cross_entropy(vs, ts), zs)


@pytest.mark.parametrize("z", [1000.0, -1000.0, 40.0, -40.0, 0.0])
@pytest.mark.parametrize("t", [0.0, 1.0])
def test_binary_cross_entropy_is_stable_for_large_logits(z, t):
    x = Value(z)
    loss = binary_cross_entropy([x], [t])
    loss.backward()
    # exact: softplus(z) - t z = max(z, 0) - t z + log1p(exp(-|z|))
    assert math.isclose(loss.data, max(z, 0) - t * z + math.log1p(math.exp(-abs(z))),
                        rel_tol=1e-12, abs_tol=1e-300)
    def sigmoid(u):
        return 1 / (1 + math.exp(-u)) if u >= 0 else math.exp(u) / (1 + math.exp(u))

    # d/dz = sigmoid(z) - t, computed without cancellation: -sigmoid(-z) when t = 1
    expected = sigmoid(z) if t == 0 else -sigmoid(-z)
    assert math.isclose(x.grad, expected, rel_tol=1e-12, abs_tol=1e-300)


@given(st.lists(st.lists(st.floats(-20, 20), min_size=2, max_size=5), min_size=1, max_size=4),
       st.data())
def test_cross_entropy_value_and_gradient(rows, data):
    labels = [data.draw(st.integers(0, len(r) - 1)) for r in rows]
    expected = 0.0
    for r, k in zip(rows, labels, strict=True):  # naive softmax: fine for |z| <= 20
        expected += -math.log(math.exp(r[k]) / sum(math.exp(v) for v in r))
    expected /= len(rows)
    loss = cross_entropy([[Value(v) for v in r] for r in rows], labels)
    assert math.isclose(loss.data, expected, rel_tol=1e-9, abs_tol=1e-9)
    flat = [v for r in rows for v in r]

    def of(vs):
        it = iter(vs)
        return cross_entropy([[next(it) for _ in r] for r in rows], labels)

    _check_gradients(of, flat)


def test_cross_entropy_is_stable_for_large_logits():
    zs = [Value(1000.0), Value(999.0), Value(-1000.0)]
    loss = cross_entropy([zs], [1])
    loss.backward()
    assert math.isclose(loss.data, 1 + math.log(1 + math.exp(-1)), rel_tol=1e-12)
    p0 = 1 / (1 + math.exp(-1))
    assert math.isclose(zs[0].grad, p0, rel_tol=1e-12)
    assert math.isclose(zs[1].grad, (1 - p0) - 1, rel_tol=1e-12)
    assert zs[2].grad == 0.0


@given(st.lists(st.tuples(small, st.sampled_from([-1, 1])), min_size=1, max_size=6))
def test_hinge_value_and_gradient(pairs):
    assume(all(abs(1 - y * s) > 1e-3 for s, y in pairs))  # away from the kink
    scores = [s for s, _ in pairs]
    ys = [y for _, y in pairs]
    loss = hinge([Value(s) for s in scores], ys)
    assert math.isclose(loss.data, sum(max(0.0, 1 - y * s) for s, y in pairs) / len(pairs),
                        rel_tol=1e-12, abs_tol=1e-12)
    _check_gradients(lambda vs: hinge(vs, ys), scores)


@given(st.lists(small, min_size=1, max_size=6), st.floats(0, 1))
def test_l2_value_and_gradient(ps, alpha):
    assert math.isclose(l2([Value(p) for p in ps], alpha).data,
                        alpha * sum(p * p for p in ps), rel_tol=1e-12, abs_tol=1e-12)
    _check_gradients(lambda vs: l2(vs, alpha), ps)


def test_reductions():
    preds = [Value(1.0), Value(3.0)]
    assert mse(preds, [0.0, 0.0], reduction="sum").data == 10.0
    each = mse(preds, [0.0, 0.0], reduction="none")
    assert [v.data for v in each] == [1.0, 9.0]
    with pytest.raises(ValueError, match="reduction"):
        mse(preds, [0.0, 0.0], reduction="avg")


@given(st.floats(-20, 20))
def test_softplus_and_logsumexp_second_derivatives(x):
    v = Value(x)
    (g,) = gradients(softplus(v), [v], create_graph=True)
    (gg,) = gradients(g, [v])
    s = 1 / (1 + math.exp(-x))
    assert math.isclose(gg, s * (1 - s), rel_tol=1e-9, abs_tol=1e-12)
    a, b = Value(x), Value(0.5)
    (ga,) = gradients(logsumexp([a, b]), [a], create_graph=True)
    (gaa,) = gradients(ga, [a])
    p = 1 / (1 + math.exp(0.5 - x))  # softmax weight of a
    assert math.isclose(gaa, p * (1 - p), rel_tol=1e-9, abs_tol=1e-12)


def test_bad_inputs_give_clear_errors():
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        mse([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(ValueError, match="empty"):
        hinge([], [])
    with pytest.raises(TypeError, match="batch"):
        mse(Value(1.0), [1.0])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        hinge([Value(1.0)], [0])
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        binary_cross_entropy([Value(1.0)], [2.0])
    with pytest.raises(ValueError, match="outside the 3 classes"):
        cross_entropy([[Value(1.0), Value(2.0), Value(0.0)]], [3])
    with pytest.raises(ValueError, match="class index"):
        cross_entropy([[Value(1.0), Value(2.0)]], [0.5])
    with pytest.raises(ValueError, match="at least 2 logits"):
        cross_entropy([Value(1.0)], [0])
    with pytest.raises(ValueError, match="one output per sample"):
        hinge([[Value(1.0), Value(2.0)]], [1])
    with pytest.raises(ValueError, match="3 outputs but its target has 2"):
        mse([[Value(1.0)] * 3], [[1.0, 2.0]])
    with pytest.raises(TypeError, match="must be a number"):
        mse([Value(1.0)], ["x"])
    with pytest.raises(ValueError, match="unknown loss"):
        get_loss("huber")
    assert get_loss("bce") is binary_cross_entropy


@given(st.lists(st.floats(-30, 30), min_size=1, max_size=4))
def test_stable_ops_pass_the_engines_gradcheck(zs):
    check = pytest.importorskip("autograd_core.check")
    assert check.gradcheck(softplus, zs[0]) and check.gradgradcheck(softplus, zs[0])
    if len(zs) > 1:
        def lse(*vs):
            return logsumexp(list(vs))

        assert check.gradcheck(lse, *zs) and check.gradgradcheck(lse, *zs)


# --------------------------------------------------------------------------- one-hot targets
def _logits(rows):
    return [[Value(v) for v in row] for row in rows]


def test_cross_entropy_takes_one_hot_rows_as_their_labels():
    rows = [[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]]
    by_label, by_row = _logits(rows), _logits(rows)
    a = cross_entropy(by_label, [2, 0])
    b = cross_entropy(by_row, [[0, 0, 1], [1.0, 0.0, 0.0]])
    assert a.data == b.data
    a.backward()
    b.backward()
    assert [[v.grad for v in r] for r in by_label] == [[v.grad for v in r] for r in by_row]


def test_cross_entropy_with_probabilities_has_gradient_softmax_minus_target():
    z = [Value(1.0), Value(2.0), Value(-0.5)]
    t = [0.2, 0.7, 0.1]
    loss = cross_entropy([z], [t])
    m = max(v.data for v in z)
    lse = m + math.log(sum(math.exp(v.data - m) for v in z))
    assert loss.data == pytest.approx(sum(tj * (lse - v.data) for tj, v in zip(t, z, strict=True)))
    loss.backward()
    for v, tj in zip(z, t, strict=True):
        assert v.grad == pytest.approx(math.exp(v.data - lse) - tj, abs=1e-12)


@pytest.mark.parametrize("target", [[0.0, 1.0], [0.5, 0.5], 1])
def test_cross_entropy_is_stable_for_huge_logits_with_any_target(target):
    z = [Value(1000.0), Value(-1000.0)]
    loss = cross_entropy([z], [target])
    loss.backward()
    assert math.isfinite(loss.data) and all(math.isfinite(v.grad) for v in z)
    if target == [0.0, 1.0] or target == 1:
        assert loss.data == 2000.0


def test_cross_entropy_takes_numpy_one_hot_rows():
    np = pytest.importorskip("numpy")
    rows = np.eye(3)[[2, 0]]
    assert cross_entropy(_logits([[0.0, 1.0, 2.0]] * 2), rows).data == cross_entropy(
        _logits([[0.0, 1.0, 2.0]] * 2), [2, 0]).data


def test_cross_entropy_refuses_bad_probability_targets():
    z = [[Value(0.0), Value(1.0)]]
    with pytest.raises(ValueError, match=r"target 0 has 3 entries for 2 classes.*one-hot"):
        cross_entropy(z, [[0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match=r"target 0\[0\] is -0.5.*\[0, 1\]"):
        cross_entropy(z, [[-0.5, 1.5]])
    with pytest.raises(ValueError, match=r"sums to 0\.5, not 1"):
        cross_entropy(z, [[0.25, 0.25]])
    with pytest.raises(TypeError, match=r"target 0\[1\] must be a number"):
        cross_entropy(z, [[1.0, "0"]])
