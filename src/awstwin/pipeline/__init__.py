"""The pipeline around the local endpoint: profiles, the run, its report."""
