"""`python -m cli` runs the `simrev` command."""

from cli.main import main

main()
