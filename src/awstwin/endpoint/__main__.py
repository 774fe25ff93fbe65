"""`python -m awstwin.endpoint`: serve the local AWS endpoint in the foreground."""

import sys

from awstwin.endpoint.server import main

sys.exit(main())
