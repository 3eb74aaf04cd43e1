"""`python -m liveqa` runs the command line."""

import sys

from liveqa.cli import main

sys.exit(main())
