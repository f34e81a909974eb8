"""`python -m orderhub.hub.cli`."""

from orderhub.hub.cli import main

main()
