"""`python -m cli` runs the `simrev` command."""

from cli import entry

entry()
