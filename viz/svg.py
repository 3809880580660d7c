"""Graphs straight to SVG: ``to_svg(root)`` and ``save_svg(root, path)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograd_core import Value

from .dot import DEFAULT_MAX_NODES, draw_dot
from .render import render_svg, write_svg

__all__ = ["save_svg", "to_svg"]


def to_svg(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    timeout: float | None = None,
    *,
    collapse: str | None = None,
    size: Any = None,
    legend: bool = True,
) -> str:
    """The graph of ``root`` as SVG text (same options as :func:`viz.draw_dot`, ``collapse``,
    ``size`` and ``legend`` included).

    Uses the system ``dot`` when it is on PATH, else the WebAssembly Graphviz from PyPI;
    raises :class:`viz.render.RendererNotFound`, naming what to install, when neither is there.
    The renderer is stopped after ``timeout`` seconds (default: ``AUTOGRAD_CORE_RENDER_TIMEOUT``,
    else 30) with :class:`viz.render.RenderTimeout`; any other renderer failure is a
    :class:`viz.render.RenderError` saying which renderer failed and why.
    """
    graph = draw_dot(root, rankdir, show_grad, max_nodes, collapse=collapse, size=size,
                     legend=legend)
    return render_svg(graph.source, timeout=timeout)


def save_svg(
    root: Value,
    path: Any,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    timeout: float | None = None,
    *,
    collapse: str | None = None,
    size: Any = None,
    legend: bool = True,
) -> Path:
    """Write the graph of ``root`` as SVG to ``path`` (atomically) and return the path.

    With no renderer available the DOT text is written next to ``path`` (``g.svg`` ->
    ``g.dot``) before :class:`viz.render.RendererNotFound` is raised. ``timeout`` and renderer
    failures are as for :func:`to_svg`.
    """
    graph = draw_dot(root, rankdir, show_grad, max_nodes, collapse=collapse, size=size,
                     legend=legend)
    return write_svg(graph.source, path, timeout=timeout)
