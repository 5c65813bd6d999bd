"""`python -m receptionist`: the same as the `receptionist` command."""

import sys

from receptionist.cli import main

sys.exit(main())
