"""`python -m newswatch` is the `newswatch` console script."""

from newswatch.cli import entry

entry()
