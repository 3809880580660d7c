"""autograd-core: a scalar reverse-mode automatic differentiation engine you can read.

>>> from autograd_core import Value
>>> x = Value(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)   # d tanh(x*x)/dx = 2x (1 - tanh(x*x)**2)
0.005364
"""

from .value import Value, to_float  # noqa: I001  (Value first: ops install onto it)
from .primitives import (
    DivisionByZero,
    DomainError,
    Op,
    OpRedefinedWarning,
    local_derivatives,
    primitive,
    registered_ops,
)
from .ops import (
    absolute,
    cos,
    dot,
    elu,
    exp,
    gelu,
    leaky_relu,
    log,
    power,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    sum_of,
    tanh,
)
from .graph import backward, gradients, topological_order, zero_grad
from .mode import detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad
from .forward import forward_tangents
from .steps import Stepper, backward_steps, explain, forward_steps, gradient_paths
from .functional import grad, hessian, hvp, jacobian, jvp, value_and_grad
from .check import GradcheckError, gradcheck, gradgradcheck
from .tape import Tape, TracerWarning, trace

__version__ = "0.1.0"

__all__ = [
    "DivisionByZero",
    "DomainError",
    "GradcheckError",
    "Op",
    "OpRedefinedWarning",
    "Stepper",
    "Tape",
    "TracerWarning",
    "Value",
    "__version__",
    "absolute",
    "backward",
    "backward_steps",
    "cos",
    "detect_anomaly",
    "dot",
    "elu",
    "enable_grad",
    "exp",
    "explain",
    "forward_steps",
    "forward_tangents",
    "gelu",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "gradient_paths",
    "gradients",
    "hessian",
    "hvp",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "leaky_relu",
    "local_derivatives",
    "log",
    "no_grad",
    "power",
    "primitive",
    "registered_ops",
    "relu",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "sum_of",
    "tanh",
    "to_float",
    "topological_order",
    "trace",
    "value_and_grad",
    "zero_grad",
]
