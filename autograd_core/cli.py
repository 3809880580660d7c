"""The ``autograd-core`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import Value, __version__


def _engine_demo() -> int:
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    b = Value(6.8813735870195432, label="b")
    o = (x * w + b).tanh()
    o.label = "o"
    o.backward()
    print("o = tanh(x*w + b)")
    for v in (o, x, w, b):
        print(f"  {v.label} = {v.data:+.4f}   d o/d {v.label} = {v.grad:+.4f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograd-core", description=__doc__)
    parser.add_argument("--version", action="version", version=f"autograd-core {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the demo")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _engine_demo()
    return 2


if __name__ == "__main__":
    sys.exit(main())
