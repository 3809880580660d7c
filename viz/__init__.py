"""Seeing computation graphs: text trees, DOT, SVG and a page that steps through backward.

>>> from autograd_core import Value
>>> import viz
>>> x = Value(2.0, label="x"); y = x * x; y.label = "y"
>>> print(viz.tree(y))
y = x * x  data=4.0000  grad=0.0000
├── x  data=2.0000  grad=0.0000
└── x  (see above)

``tree`` returns a :class:`viz.text.TextTree`, a ``str`` that displays as the tree in a REPL
or notebook. ``draw_dot(root, collapse="neuron")`` draws each neuron of an ``nn`` model (values
labelled ``L0.n3.w1`` and so on) as one node; without ``collapse`` neurons and layers are
clusters, and a graph above ``max_nodes`` collapses by itself.

``draw_dot``, ``to_svg``, ``save_svg`` and ``backward_page`` need the ``graphviz`` package
(``pip install 'autograd-core[viz]'``); ``tree`` needs nothing.
"""

from __future__ import annotations

from typing import Any

from .text import tree

__all__ = [
    "backward_page", "draw_dot", "point_loss", "save_svg", "to_svg", "training_page", "tree",
]

_LAZY = {
    "draw_dot": "dot",
    "to_svg": "svg",
    "save_svg": "svg",
    "backward_page": "page",
}


def __getattr__(name: str) -> Any:
    if name in ("training_page", "point_loss"):  # plain HTML and JS: no graphviz needed
        from . import training

        value = getattr(training, name)
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'viz' has no attribute {name!r}")
    try:
        import graphviz  # noqa: F401
    except ImportError:
        raise ImportError(
            f"viz.{name} needs the graphviz Python package: pip install 'autograd-core[viz]' "
            "(or pip install graphviz==0.21)"
        ) from None
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "training_page", "point_loss"])
