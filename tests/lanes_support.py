"""The lane contract as an oracle (shared by the lane test files): a Python loop of float
replays, one per lane, with the gradients of number arguments summed over the lanes."""

from __future__ import annotations

import numpy as np

RTOL = 1e-12


def loop(tape, args, lanes):
    """(values, grads) of ``tape`` at ``args`` by replaying every lane on floats."""
    values, grads = [], [np.zeros(lanes) if isinstance(a, np.ndarray) else 0.0 for a in args]
    for j in range(lanes):
        at = [float(a[j]) if isinstance(a, np.ndarray) else a for a in args]
        v, g = tape.value_and_grad(*at)
        values.append(v)
        for i, gi in enumerate(g):
            if isinstance(args[i], np.ndarray):
                grads[i][j] = gi
            else:
                grads[i] += gi
    return np.array(values), grads


def agree(tape, args, lanes):
    """The lane replay at ``args`` equals :func:`loop` to 1e-12 (relative to the largest
    number), with an array gradient exactly for each array argument."""
    want_value, want_grads = loop(tape, args, lanes)
    value, grads = tape.value_and_grad(*args)
    scale = 1.0 + float(np.max(np.abs(want_value))) + max(
        [float(np.max(np.abs(g))) for g in want_grads], default=0.0)
    np.testing.assert_allclose(value, want_value, rtol=RTOL, atol=RTOL * scale)
    for g, w in zip(grads, want_grads, strict=True):
        assert isinstance(g, np.ndarray) == isinstance(w, np.ndarray)
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=RTOL * scale)
