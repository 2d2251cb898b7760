"""``python -m bot …`` is the same as ``cocreate …``."""

import sys

from bot.cli import main

sys.exit(main())
