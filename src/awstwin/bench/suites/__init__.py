"""The comparisons `make bench` runs, one module per area; each `comparisons(options)` is a generator
that starts what its comparisons need, yields them one by one, and stops everything when it ends."""
