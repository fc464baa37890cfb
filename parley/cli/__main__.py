"""`python -m parley.cli ARGS`: the `parley` command (accelerate launches training this way)."""

import sys

from parley.cli import main

sys.exit(main())
