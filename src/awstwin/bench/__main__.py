"""`python -m awstwin.bench`."""

import sys

from awstwin.bench.runner import main

sys.exit(main())
