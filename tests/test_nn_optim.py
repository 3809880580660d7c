"""nn.optim: each update against a step computed by hand."""

import math

import pytest

from autograd_core import Value
from nn import MLP
from nn.optim import SGD, Adam, RMSProp, clip_grad_norm, linear_decay


def _param(data, grad):
    p = Value(data)
    p.grad = grad
    return p


def test_sgd_plain_step():
    a, b = _param(1.0, 0.5), _param(-2.0, -4.0)
    SGD([a, b], lr=0.1).step()
    assert a.data == pytest.approx(1.0 - 0.1 * 0.5, rel=1e-15)
    assert b.data == pytest.approx(-2.0 + 0.1 * 4.0, rel=1e-15)


def test_sgd_momentum_and_weight_decay_two_steps():
    p = _param(1.0, 0.5)
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step()
    # g1 = 0.5 + 0.01 * 1.0 = 0.51; buf = 0.51; p = 1 - 0.051 = 0.949
    assert p.data == pytest.approx(0.949, rel=1e-14)
    p.grad = 0.2
    opt.step()
    # g2 = 0.2 + 0.01 * 0.949 = 0.20949; buf = 0.9 * 0.51 + 0.20949 = 0.66849
    assert p.data == pytest.approx(0.949 - 0.1 * 0.66849, rel=1e-14)


def test_sgd_schedule_is_micrograds_decay():
    p = _param(0.0, 1.0)
    opt = SGD([p], lr=1.0, schedule=linear_decay(100, final=0.1))
    for _ in range(3):
        opt.step()
    # steps use rates 1.0, 0.991, 0.982
    assert p.data == pytest.approx(-(1.0 + 0.991 + 0.982), rel=1e-14)
    assert opt.lr_at(100) == pytest.approx(0.1)
    assert opt.lr_at(500) == pytest.approx(0.1)
    assert opt.steps == 3


def test_adam_two_steps_by_hand():
    p = _param(1.0, 0.5)
    opt = Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    opt.step()
    # t=1: m = 0.05, v = 0.00025; m_hat = 0.5, v_hat = 0.25 -> step 0.1 * 0.5 / (0.5 + 1e-8)
    p1 = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8)
    assert p.data == pytest.approx(p1, rel=1e-14)
    p.grad = -1.0
    opt.step()
    m = 0.9 * 0.05 + 0.1 * -1.0
    v = 0.999 * 0.00025 + 0.001 * 1.0
    m_hat = m / (1 - 0.9**2)
    v_hat = v / (1 - 0.999**2)
    assert p.data == pytest.approx(p1 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-14)


def test_adam_weight_decay_adds_to_gradient():
    p = _param(2.0, 0.0)
    Adam([p], lr=0.1, weight_decay=0.5).step()
    # g = 0 + 0.5 * 2 = 1; first Adam step moves by lr * g / (|g| + eps)
    assert p.data == pytest.approx(2.0 - 0.1 * 1.0 / (1.0 + 1e-8), rel=1e-14)


def test_rmsprop_two_steps_by_hand():
    p = _param(1.0, 2.0)
    opt = RMSProp([p], lr=0.01, alpha=0.9, eps=1e-8)
    opt.step()
    v1 = 0.1 * 4.0
    p1 = 1.0 - 0.01 * 2.0 / (math.sqrt(v1) + 1e-8)
    assert p.data == pytest.approx(p1, rel=1e-14)
    p.grad = -1.0
    opt.step()
    v2 = 0.9 * v1 + 0.1 * 1.0
    assert p.data == pytest.approx(p1 + 0.01 * 1.0 / (math.sqrt(v2) + 1e-8), rel=1e-14)


def test_zero_grad_and_model_as_params():
    model = MLP(2, [2, 1], seed=0)
    model([1.0, 1.0]).backward()
    opt = Adam(model)
    assert opt.params == model.parameters()
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_gradient_that_is_a_value_is_used_as_a_number():
    p = _param(1.0, Value(0.5))
    SGD([p], lr=1.0).step()
    assert p.data == 0.5


def test_clip_grad_norm():
    a, b = _param(0.0, 3.0), _param(0.0, 4.0)
    assert clip_grad_norm([a, b], 10.0) == 5.0
    assert (a.grad, b.grad) == (3.0, 4.0)  # under the limit: untouched
    assert clip_grad_norm([a, b], 2.5) == 5.0
    assert math.hypot(a.grad, b.grad) == pytest.approx(2.5)
    assert a.grad / b.grad == pytest.approx(0.75)
    c = _param(0.0, math.inf)
    assert clip_grad_norm([c], 1.0) == math.inf and c.grad == math.inf


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: SGD(p, lr=0), "lr must be > 0"),
        (lambda p: SGD(p, lr=math.nan), "lr must be finite"),
        (lambda p: SGD(p, lr=0.1, momentum=1.0), "momentum"),
        (lambda p: Adam(p, betas=(0.9,)), "betas"),
        (lambda p: Adam(p, betas=(0.9, 1.5)), "beta2"),
        (lambda p: RMSProp(p, eps=0), "eps"),
        (lambda p: SGD(p, weight_decay=-1), "weight_decay"),
        (lambda p: SGD([], lr=0.1), "empty"),
        (lambda p: SGD(p + p, lr=0.1), "twice"),
        (lambda p: clip_grad_norm(p, 0), "max_norm"),
        (lambda p: linear_decay(0), "total_steps"),
    ],
)
def test_bad_settings_are_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make([_param(1.0, 1.0)])


def test_non_value_parameter_is_a_type_error():
    with pytest.raises(TypeError, match="parameter 0 must be a Value"):
        SGD([1.0], lr=0.1)


@pytest.mark.parametrize(("cls", "default"), [(SGD, 0.01), (Adam, 0.001), (RMSProp, 0.01)])
def test_learning_rate_is_lr_under_its_keras_name(cls, default) -> None:
    p = Value(1.0)
    assert cls([p]).lr == default
    assert cls([p], learning_rate=0.5).lr == 0.5 == cls([p], lr=0.5).lr
    with pytest.raises(ValueError, match="not both"):
        cls([p], lr=0.5, learning_rate=0.5)
