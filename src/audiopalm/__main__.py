"""`python -m audiopalm ...`: the CLI, also under launchers (`torchrun -m audiopalm train ...`)."""

import sys

from audiopalm.cli import main

sys.exit(main())
