"""``python -m autograd_core.cli``: the same as the ``autograd-core`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
