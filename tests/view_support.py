"""Shared by the tests of what people see (the stepping pages, in and out of a browser):
the labelled neuron they draw, the notebook cell that holds a Stepper's iframe, and a
headless Chromium page that records script errors and every request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autograd_core import Value

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 800


# True when every node of the current step is inside the stepping page's viewport.
CURRENT_IN_VIEW = """() => {
  const port = document.getElementById("viewport").getBoundingClientRect();
  const nodes = [...document.querySelectorAll("g.node.current")];
  if (!nodes.length) return false;
  return nodes.every((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.left >= port.left && r.right <= port.right &&
           r.top >= port.top && r.bottom <= port.bottom;
  });
}"""


def labelled_neuron() -> tuple[Value, Value, Value, Value, Value]:
    """``(x, w, b, n, o)`` of micrograd's neuron ``o = tanh(x*w + b)``, every node labelled."""
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    b = Value(6.8813735870195432, label="b")
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return x, w, b, n, o


def notebook_cell(path: Path, shown: str, width: str = "900px") -> Path:
    """A page holding ``shown`` (a ``_repr_html_``) in a cell ``width`` wide, as Jupyter
    would; returns ``path``."""
    path.write_text(f"<!DOCTYPE html><html><body><div id='cell' style='width: {width}'>"
                    f"{shown}</div></body></html>", encoding="utf-8")
    return path


def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright, for a module-scoped fixture; skipped, with the
    reason, where either is absent."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (apt install "
                    "chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


class Watched:
    """A page at 1280x800 that records script errors, console errors and every request;
    it waits for ``ready`` (the stepping page's ``body[data-ready]``) unless that is None."""

    def __init__(self, browser: Any, url: str, ready: str | None = "body[data-ready]") -> None:
        self.page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("console", lambda msg: self.errors.append(f"console: {msg.text}")
                     if msg.type == "error" else None)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(url)
        if ready is not None:
            self.page.wait_for_selector(ready)

    def close(self) -> None:
        self.page.close()
