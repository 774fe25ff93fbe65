"""`make bench`: speed and memory measured on this machine, checked against stated targets.

Speed targets live here and only here: tests never time anything. Each measurement runs in its own
process so one cannot warm the next, prints a line as it finishes, and the whole set lands in
`artifacts/bench.json`. `make bench QUICK=1` skips the 1M-row pipeline run. The pipeline runs use
this checkout's `.state` with an ingest date of their own (2000-01-01), so they never touch the dates
you load.
"""
