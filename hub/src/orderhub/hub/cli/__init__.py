"""The `orderhub` command, one module per command group.

`root` builds the `main` group and adds every command; `context` is what the commands share
(settings, running a coroutine with an opened hub). The command modules import `context`,
never `root` or each other.
"""

from orderhub.hub.cli.root import main

__all__ = ["main"]
