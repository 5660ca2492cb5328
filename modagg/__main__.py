"""``python -m modagg``: the same as the ``modagg`` command."""

import sys

from .cli import main

sys.exit(main())
