"""`python -m awstwin.endpoint`: serve the local AWS endpoint in the foreground."""

import sys

from awstwin.core.parent_death import keep_files_private
from awstwin.endpoint.server import main

keep_files_private()  # its state holds every S3 object, the catalog and run logs: 0600 files, 0700 folders
sys.exit(main())
