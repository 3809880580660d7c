"""Optimizers: ``SGD``, ``Adam``, ``RMSProp``; ``clip_grad_norm``; learning-rate schedules.

An optimizer holds a list of parameters (Values) and updates their ``data`` from their
``grad`` in ``step()``. The update formulas are PyTorch's (see each class). A schedule is a
function ``step_index -> factor``; the learning rate used at step ``k`` (counting from 0) is
``lr * schedule(k)``. micrograd's demo decays its rate as ``1 - 0.9 * k / 100``, which is
``linear_decay(100, final=0.1)``:

>>> from autograd_core import Value
>>> w = Value(1.0); w.grad = 0.5
>>> opt = SGD([w], lr=0.1, schedule=linear_decay(100, final=0.1))
>>> opt.step(); w.data         # 1.0 - 0.1 * 1.0 * 0.5
0.95
>>> round(opt.lr_at(50), 12)     # 0.1 * (1 - 0.9 * 50 / 100)
0.055
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from autograd_core import Value

Schedule = Callable[[int], float]


def linear_decay(total_steps: int, final: float = 0.1) -> Schedule:
    """Factor falling linearly from 1 at step 0 to ``final`` at ``total_steps`` (then flat)."""
    if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
        raise ValueError(f"total_steps must be a positive int, got {total_steps!r}")
    final = _real(final, "final")

    def schedule(k: int) -> float:
        return 1.0 - (1.0 - final) * min(k, total_steps) / total_steps

    return schedule


def _real(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{what} must be a number, got {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return x


def _in_range(x: Any, what: str, low: float, high: float, *, high_open: bool = True) -> float:
    x = _real(x, what)
    if not (low <= x < high if high_open else low <= x <= high):
        bracket = ")" if high_open else "]"
        raise ValueError(f"{what} must be in [{low:g}, {high:g}{bracket}, got {x!r}")
    return x


def _grad(p: Value) -> float:
    g = p.grad
    return g if type(g) is float else float(g)


def _pick_lr(lr: float | None, learning_rate: float | None, default: float) -> float:
    """``lr``, or Keras' name for it ``learning_rate``, or the optimizer's default."""
    if lr is not None and learning_rate is not None:
        raise ValueError("pass lr= or learning_rate= (its Keras name), not both")
    picked = lr if lr is not None else learning_rate
    return default if picked is None else picked


class Optimizer:
    """Base class: parameters, learning rate, schedule, ``step()`` and ``zero_grad()``."""

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float,
        *,
        weight_decay: float = 0.0,
        schedule: Schedule | None = None,
    ) -> None:
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty list of parameters")
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"parameter {i} must be a Value, got {type(p).__name__}")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter appears twice; each would be updated twice per step")
        self.params: list[Value] = params
        self.lr = _real(lr, "lr")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        self.weight_decay = _in_range(weight_decay, "weight_decay", 0.0, math.inf)
        if schedule is not None and not callable(schedule):
            raise TypeError(f"schedule must be a function step -> factor, got {schedule!r}")
        self.schedule = schedule
        self.steps = 0  # how many times step() ran

    def lr_at(self, k: int) -> float:
        """The learning rate used at step ``k`` (``lr * schedule(k)``)."""
        return self.lr if self.schedule is None else self.lr * float(self.schedule(k))

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its ``grad``."""
        lr = self.lr_at(self.steps)
        self._update(lr)
        self.steps += 1

    def _update(self, lr: float) -> None:  # pragma: no cover - subclasses override
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr:g})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and weight decay.

    ``g = grad + weight_decay * p``; with momentum ``buf = momentum * buf + g`` (``buf = g``
    at the first step) and ``p -= lr * buf``; without, ``p -= lr * g``.
    """

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float | None = None,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        *,
        learning_rate: float | None = None,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__(params, _pick_lr(lr, learning_rate, 0.01),
                         weight_decay=weight_decay, schedule=schedule)
        self.momentum = _in_range(momentum, "momentum", 0.0, 1.0)
        self._buf: list[float] | None = None

    def _update(self, lr: float) -> None:
        wd = self.weight_decay
        if self.momentum == 0.0:
            if wd == 0.0:
                for p in self.params:
                    p.data -= lr * _grad(p)
            else:
                for p in self.params:
                    p.data -= lr * (_grad(p) + wd * p.data)
            return
        grads = [_grad(p) + wd * p.data for p in self.params]
        if self._buf is None:
            self._buf = grads
        else:
            mu = self.momentum
            self._buf = [mu * b + g for b, g in zip(self._buf, grads, strict=True)]
        for p, b in zip(self.params, self._buf, strict=True):
            p.data -= lr * b


class Adam(Optimizer):
    """Adam (Kingma and Ba): moving averages of the gradient and of its square.

    At step ``t`` (from 1): ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g*g``,
    ``p -= lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)``.
    """

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float | None = None,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        learning_rate: float | None = None,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__(params, _pick_lr(lr, learning_rate, 0.001),
                         weight_decay=weight_decay, schedule=schedule)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _in_range(betas[0], "beta1", 0.0, 1.0),
            _in_range(betas[1], "beta2", 0.0, 1.0),
        )
        self.eps = _real(eps, "eps")
        if self.eps <= 0:
            raise ValueError(f"eps must be > 0, got {self.eps!r}")
        n = len(self.params)
        self._m = [0.0] * n
        self._v = [0.0] * n

    def _update(self, lr: float) -> None:
        b1, b2 = self.betas
        t = self.steps + 1
        c1 = 1.0 - b1**t
        c2 = 1.0 - b2**t
        wd = self.weight_decay
        eps = self.eps
        m, v = self._m, self._v
        sqrt = math.sqrt
        for i, p in enumerate(self.params):
            g = _grad(p)
            if wd:
                g += wd * p.data
            mi = m[i] = b1 * m[i] + (1.0 - b1) * g
            vi = v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= lr * (mi / c1) / (sqrt(vi / c2) + eps)


class RMSProp(Optimizer):
    """RMSProp: divide the gradient by a moving root mean square of recent gradients.

    ``v = alpha*v + (1-alpha)*g*g``, ``p -= lr * g / (sqrt(v) + eps)``.
    """

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float | None = None,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        learning_rate: float | None = None,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__(params, _pick_lr(lr, learning_rate, 0.01),
                         weight_decay=weight_decay, schedule=schedule)
        self.alpha = _in_range(alpha, "alpha", 0.0, 1.0)
        self.eps = _real(eps, "eps")
        if self.eps <= 0:
            raise ValueError(f"eps must be > 0, got {self.eps!r}")
        self._v = [0.0] * len(self.params)

    def _update(self, lr: float) -> None:
        a = self.alpha
        wd = self.weight_decay
        eps = self.eps
        v = self._v
        sqrt = math.sqrt
        for i, p in enumerate(self.params):
            g = _grad(p)
            if wd:
                g += wd * p.data
            vi = v[i] = a * v[i] + (1.0 - a) * g * g
            p.data -= lr * g / (sqrt(vi) + eps)


def clip_grad_norm(params: Iterable[Value] | Any, max_norm: float) -> float:
    """Scale all gradients down together so their global L2 norm is at most ``max_norm``.

    Returns the norm before clipping (``inf``/``nan`` are returned as is, nothing is scaled).

    >>> from autograd_core import Value
    >>> a, b = Value(0.0), Value(0.0); a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm([a, b], 1.0), round(a.grad, 6), round(b.grad, 6)
    (5.0, 0.6, 0.8)
    """
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    params = list(params)
    max_norm = _real(max_norm, "max_norm")
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm!r}")
    norm = math.sqrt(math.fsum(_grad(p) ** 2 for p in params))
    if math.isfinite(norm) and norm > max_norm:
        scale = max_norm / norm
        for p in params:
            p.grad = _grad(p) * scale
    return norm


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSProp}

__all__ = ["OPTIMIZERS", "SGD", "Adam", "Optimizer", "RMSProp", "clip_grad_norm", "linear_decay"]
