"""The examples notebook runs top to bottom and shows SVG and the inline stepping page."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (dev extra)")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (dev extra)")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (dev extra)")
pytest.importorskip("graphviz", reason="the viz extra is not installed")

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "examples" / "seeing_backprop.ipynb"
KERNEL = "autograd-core-test"


def kernel_manager(folder: Path) -> KernelManager:
    """A kernel that is this very Python (the venv's), whatever kernels are installed."""
    spec = folder / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "autograd-core tests", "language": "python",
    }))
    specs = KernelSpecManager(kernel_dirs=[str(folder)], ensure_native_kernel=False)
    return KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    km = kernel_manager(tmp_path_factory.mktemp("kernels"))
    client = nbclient.NotebookClient(notebook, km=km, timeout=120,
                                     resources={"metadata": {"path": str(REPO)}})
    client.execute()
    return notebook


def outputs(notebook, mime: str) -> list[str]:
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if mime in data:
                found.append(data[mime])
    return found


def test_the_generator_writes_this_notebook() -> None:
    sys.path.insert(0, str(REPO / "examples"))
    try:
        import make_notebook
    finally:
        sys.path.remove(str(REPO / "examples"))
    saved = nbformat.read(NOTEBOOK, as_version=4)
    assert [c.source for c in make_notebook.build().cells] == [c.source for c in saved.cells]
    assert all(not c.get("outputs") for c in saved.cells)  # kept without outputs


def test_the_kernel_is_this_python(tmp_path) -> None:
    km = kernel_manager(tmp_path)
    assert km.kernel_spec.argv[0] == sys.executable


def test_notebook_runs_and_shows_svg_and_the_stepping_page(executed) -> None:
    errors = [o for c in executed.cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    # No red stderr box anywhere (e.g. tqdm's "IProgress not found" warning in live fit).
    stderr = [o.get("text", "") for c in executed.cells for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert stderr == []
    svgs = outputs(executed, "image/svg+xml")
    assert len(svgs) >= 3 and all("<svg" in s for s in svgs)  # neuron, MLP, collapsed MLP
    pages = [h for h in outputs(executed, "text/html") if 'class="autograd-stepper"' in h]
    assert len(pages) == 3  # the neuron's stepper, the MLP's, the demo network's
    for page in pages:
        assert page.startswith("<iframe") and "srcdoc=" in page
        assert "&lt;svg" in page and 'id=&quot;data&quot;' in page
    tables = [h for h in outputs(executed, "text/html") if "autograd-explain" in h]
    assert len(tables) == 1 and "<td>o</td>" in tables[0]
    steps = [h for h in outputs(executed, "text/html") if "autograd-step\"" in h]
    assert len(steps) == 1 and "<code>o = tanh(n)</code>" in steps[0]
    # A Value shows as its one-line text.
    texts = [t for t in outputs(executed, "text/plain") if t.startswith("Value(")]
    assert texts == ["Value(data=0.7071, grad=1.0000, op='tanh', label='o')"]
    # The neuron's gradients after stepping are backward()'s.
    final = outputs(executed, "text/plain")
    assert any(re.fullmatch(r"\(-1\.49999\d*, 0\.99999\d*, 0\.49999\d*\)", t) for t in final)


def test_live_fit_updates_one_output_in_place(executed) -> None:
    cells = [c for c in executed.cells if c.cell_type == "code" and "live=True" in c.source]
    assert len(cells) == 1
    shown = [o for o in cells[0].outputs if o.get("output_type") == "display_data"]
    assert len(shown) == 1  # one output, updated in place (no bar, no stack of pictures)
    html = shown[0]["data"]["text/html"]
    assert 'class="autograd-live"' in html and 'class="boundary"' in html
    assert "loss, epoch 20:" in html  # its last update shows the last epoch
    assert outputs(executed, "text/plain")[-1] == "(20, 20, 20)"  # one update per epoch
