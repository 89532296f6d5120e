"""``python -m flyteplane``: the ``flyteplane`` command."""

import sys

from flyteplane.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
