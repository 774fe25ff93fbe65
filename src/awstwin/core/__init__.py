"""The bottom layer every other package may import, and that imports none of them.

configuration (config), profiles (profile), the checkout's layout (paths), boto3 clients for a profile
(aws), TCP ports (ports), and child processes that can always be stopped (processes, parent_death).
The import contract in `.importlinter` keeps it at the bottom: see docs/ARCHITECTURE.md.
"""
