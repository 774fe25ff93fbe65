"""The bottom layer every other package may import, and that imports none of them.

configuration (config), profiles (profile), the checkout's layout (paths), boto3 clients for a profile
(aws), TCP ports (ports), child processes that can always be stopped (processes, parent_death), the
secrets generated once per checkout for the local stacks (local_secrets), one run at a time per
checkout (runlock) and the run's guardian that stops what a dead run left (guardian).
The import contract in `.importlinter` keeps it at the bottom: see docs/ARCHITECTURE.md.
"""
