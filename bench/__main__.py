"""`python -m bench` (`make bench`): run every benchmark and print its ratios."""

from bench import startup

startup.run()
