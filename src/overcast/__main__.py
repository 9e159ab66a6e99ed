"""`python -m overcast`: the same as the `overcast` command."""

from overcast.cli import main

main()
