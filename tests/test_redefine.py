"""Defining an op again: a notebook cell run twice replaces it; a clash elsewhere is refused."""

from __future__ import annotations

import json
import math
import sys
import warnings

import pytest

from autograd_core import OpRedefinedWarning, Value, primitive, registered_ops

CELL = """
from autograd_core import primitive, sigmoid
import math
softplus2 = primitive("{name}", lambda x: math.log1p(math.exp(x)) * {scale},
                      lambda x, out: sigmoid(x) * {scale}, method={method})
"""


def run_cell(name: str, filename: str, scale: float = 1.0, method: bool = True) -> dict:
    """Run the cell's code in a fresh namespace, as a notebook does when it is run again."""
    namespace: dict = {}
    code = compile(CELL.format(name=name, scale=scale, method=method), filename, "exec")
    exec(code, namespace)
    return namespace


def test_running_the_same_cell_again_replaces_the_op_with_a_warning():
    first = run_cell("redef_cell", "/tmp/cell_a.py")["softplus2"]
    with pytest.warns(OpRedefinedWarning, match=r"op 'redef_cell' redefined.*cell_a\.py:4"):
        second = run_cell("redef_cell", "/tmp/cell_a.py", scale=2.0)["softplus2"]
    assert second is not first
    assert registered_ops()["redef_cell"] is second
    # The method is installed again and runs the new op.
    y = Value(0.0).redef_cell()
    assert y.data == pytest.approx(2 * math.log(2.0))
    y.backward()
    # Nodes made before keep the op they were made with.
    x = Value(0.0)
    old = first(x)
    old.backward()
    assert x.grad == pytest.approx(0.5)


def test_a_clash_from_another_place_is_refused():
    run_cell("redef_clash", "/tmp/module_one.py")
    with pytest.raises(ValueError, match=r"'redef_clash' exists already \(defined at "
                       r"/tmp/module_one\.py:4\).*replace=True"):
        run_cell("redef_clash", "/tmp/module_two.py")
    with pytest.raises(ValueError, match="exists already"):  # and from here, another line
        primitive("redef_clash", math.exp, lambda x, out: out)


def test_replace_true_replaces_from_anywhere():
    first = run_cell("redef_forced", "/tmp/module_three.py")["softplus2"]
    with pytest.warns(OpRedefinedWarning, match="redef_forced"):
        new = primitive("redef_forced", math.exp, lambda x, out: out, replace=True)
    assert registered_ops()["redef_forced"] is new is not first
    # The old op's method is gone: the new definition has none.
    assert not hasattr(Value, "redef_forced")


def test_notebook_cells_replace_each_other_even_when_edited():
    # ipykernel names a cell after a hash of its text: an edited cell is a new file name.
    run_cell("redef_nb", "/tmp/ipykernel_4242/1a2b3c.py")
    with pytest.warns(OpRedefinedWarning):
        op = run_cell("redef_nb", "/tmp/ipykernel_4242/9f8e7d.py", scale=3.0)["softplus2"]
    assert registered_ops()["redef_nb"] is op
    run_cell("redef_nb_old", "<ipython-input-3-abcdef>")
    with pytest.warns(OpRedefinedWarning):
        run_cell("redef_nb_old", "<ipython-input-7-012345>")
    # A cell does not replace an op defined in a module file, nor the other way round.
    with pytest.raises(ValueError, match="exists already"):
        run_cell("redef_nb", "/tmp/some_module.py")


@pytest.mark.parametrize("name", ["relu", "tanh", "+", "softplus", "gelu"])
def test_builtin_ops_are_never_replaced(name):
    builtin = registered_ops()[name]
    with pytest.raises(ValueError, match=rf"'{_escape(name)}' exists already \(built in"):
        primitive(name, math.exp, lambda x, out: out, replace=True)
    with pytest.raises(ValueError, match="exists already"):
        run_cell(name, "/tmp/ipykernel_4242/cell.py")
    assert registered_ops()[name] is builtin


def _escape(name: str) -> str:
    return "\\+" if name == "+" else name


def test_a_failed_redefinition_leaves_the_old_op():
    first = run_cell("redef_broken", "/tmp/cell_b.py")["softplus2"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing replaced: no warning either
        with pytest.raises(TypeError, match="derivative rule must be callable"):
            primitive("redef_broken", math.exp, "not a rule", replace=True)
    assert registered_ops()["redef_broken"] is first
    assert Value(0.0).redef_broken().data == pytest.approx(math.log(2.0))


def test_the_method_may_be_dropped_or_added_on_rerun():
    run_cell("redef_method", "/tmp/cell_c.py", method=False)
    assert not hasattr(Value, "redef_method")
    with pytest.warns(OpRedefinedWarning):
        run_cell("redef_method", "/tmp/cell_c.py", method=True)
    assert Value(0.0).redef_method().op == "redef_method"


def test_in_a_real_notebook_a_cell_run_again_or_edited_redefines_its_op(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = tmp_path / "redefine-test"  # a kernel that is this very Python (the venv's)
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "redefine test", "language": "python",
    }))
    km = KernelManager(kernel_name="redefine-test", kernel_spec_manager=KernelSpecManager(
        kernel_dirs=[str(tmp_path)], ensure_native_kernel=False))
    cell = (
        "import math, warnings\n"
        "warnings.simplefilter('always')\n"
        "from autograd_core import Value, primitive, registered_ops, sigmoid\n"
        "sp = primitive('nb_softplus2', lambda x: math.log1p(math.exp(x)),\n"
        "               lambda x, out: sigmoid(x), method=True)\n"
        "print(registered_ops()['nb_softplus2'] is sp, Value(0.0).nb_softplus2().op)\n"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in (cell, cell, cell.replace("x, out", "x, o"))]
    nbclient.NotebookClient(nb, km=km, timeout=120).execute()
    # The first run defines it; running the cell again, then an edited version of it (a new
    # file name under ipykernel), each replace it with a warning, and the method follows.
    outputs = [[(o.get("name"), o.get("text", "")) for o in c.outputs] for c in nb.cells]
    for i, cell_outputs in enumerate(outputs):
        printed = "".join(text for name, text in cell_outputs if name == "stdout")
        warned = "".join(text for name, text in cell_outputs if name == "stderr")
        assert printed == "True nb_softplus2\n"
        assert ("OpRedefinedWarning" in warned) == (i > 0), outputs
