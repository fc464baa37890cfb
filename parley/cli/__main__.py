"""`python -m parley.cli ARGS`: the `parley` command where no console script is installed (accelerate launch)."""

import sys

from parley.cli import main

sys.exit(main())
