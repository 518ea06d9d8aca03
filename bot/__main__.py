"""`python -m bot` starts Warroom."""

import sys

from bot.cli import main

sys.exit(main())
