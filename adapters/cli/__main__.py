"""`python -m reusable_savedmodel.adapters.cli` runs `rsm`."""

import sys

from reusable_savedmodel.adapters.cli import main

sys.exit(main())
