"""`python -m awstwin.endpoint`: serve the local AWS endpoint in the foreground."""

import sys

from awstwin.endpoint.server import main
from awstwin.procutil import keep_files_private

keep_files_private()  # its state holds every S3 object, the catalog and run logs: 0600 files, 0700 folders
sys.exit(main())
