"""Terminal output for the command line: colour only where it belongs, aligned numbers."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, TextIO


def wants_colour(stream: Any) -> bool:
    """True when ``stream`` is a terminal, ``NO_COLOR`` is not set and ``TERM`` is not dumb."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or odd stream
        return False


class Style:
    """ANSI styles that turn into no-ops when colour is off.

    >>> Style(False).red("error")
    'error'
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def red(self, text: str) -> str:
        return self._wrap("1;31", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    @classmethod
    def for_stream(cls, stream: TextIO) -> Style:
        return cls(wants_colour(stream))


def number(x: float) -> str:
    """A float as Python writes it (shortest text that reads back the same number).

    >>> number(0.1), number(-2.0), number(float("inf"))
    ('0.1', '-2.0', 'inf')
    """
    return repr(float(x))


def align_numbers(texts: Sequence[str]) -> list[str]:
    """Pad number texts on the left so their decimal points (or ends) line up.

    >>> align_numbers(["0.5", "-12.25", "inf"])
    ['  0.5', '-12.25', 'inf']
    """
    def integer_width(text: str) -> int:
        for i, ch in enumerate(text):
            if ch in ".e":
                return i
        return len(text)

    widest = max((integer_width(t) for t in texts), default=0)
    return [" " * (widest - integer_width(t)) + t for t in texts]


def table(rows: Sequence[tuple[str, float]], style: Style) -> list[str]:
    """``label  number`` lines with the labels padded and the numbers aligned."""
    width = max((len(label) for label, _ in rows), default=0)
    numbers = align_numbers([number(value) for _, value in rows])
    return [
        f"{style.cyan(label.ljust(width))}  {text}"
        for (label, _), text in zip(rows, numbers, strict=True)
    ]


def json_number(x: float) -> float | str:
    """JSON has no inf or NaN: those become the strings ``"inf"``, ``"-inf"``, ``"nan"``."""
    return x if math.isfinite(x) else repr(x)
