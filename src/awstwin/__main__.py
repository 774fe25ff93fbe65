"""`python -m awstwin`."""

import sys

from awstwin.cli import main

sys.exit(main())
