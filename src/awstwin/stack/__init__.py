"""Starting and stopping the stack: the local endpoint and the warehouse, in the foreground or detached."""
