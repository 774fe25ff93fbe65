"""awstwin: a local-first twin of an AWS analytics pipeline."""
