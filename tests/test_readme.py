"""Every ``>>>`` example in README.md runs and prints what the README says it prints."""

import doctest
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that save files write them here
    result = doctest.testfile(
        str(README),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.attempted > 20, "the README lost its examples"
    assert result.failed == 0, f"{result.failed} README example(s) failed (see output above)"
