"""Options shared by the commands (sqlite-utils style decorators)."""

from __future__ import annotations

from collections.abc import Callable

import click

from sim.runner import SCHEDULER_ENV


def scenario_options(command: Callable) -> Callable:
    """--replications, --seed and --set: what changes the scenario itself."""
    for option in reversed([
        click.option("--replications", type=click.IntRange(min=1), default=None,
                     metavar="N", help="Replications to run (overrides the scenario's)."),
        click.option("--seed", type=click.IntRange(min=0), default=None, metavar="S",
                     help="Random seed (overrides the scenario's)."),
        click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE",
                     help="Override any scenario key, e.g. --set roles.ae.headcount=25 "
                          "(repeatable; the value is read as YAML)."),
    ]):
        command = option(command)
    return command


def run_options(command: Callable) -> Callable:
    """--out, --workers, --scheduler, --quiet: how and where a simulation runs."""
    for option in reversed([
        click.option("--out", default="outputs", show_default=True, metavar="DIR",
                     help="Parent folder of the results; each goes to DIR/<name>/."),
        click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
                     help="Local worker processes (default: all cores)."),
        click.option("--scheduler", envvar=SCHEDULER_ENV, default=None, metavar="ADDRESS",
                     help="Run on a Dask distributed scheduler, e.g. tcp://host:8786 "
                          f"(or set {SCHEDULER_ENV}); needs pip install 'simrev[dask]'."),
        click.option("--quiet", is_flag=True, help="Print nothing but errors."),
        click.option("--allow-long", is_flag=True,
                     help="Run even when the estimate says it takes over ten minutes here."),
    ]):
        command = option(command)
    return command


def debug_option(command: Callable) -> Callable:
    return click.option("--debug", is_flag=True,
                        help="Show the traceback of an internal error.")(command)


def export_options(command: Callable) -> Callable:
    """--columns, --won, --lost, --roster: how to read a CRM export (fit and backtest)."""
    for option in reversed([
        click.option("--columns", default=None, metavar="FIELD=COLUMN,...",
                     help="Map fields to the export's columns, e.g. --columns "
                          "owner=Rep,created=CreatedDate (fields: id, owner, created, closed, "
                          "stage, amount, product, source)."),
        click.option("--won", default=None, metavar="STAGE[,STAGE]",
                     help="The stages that mean won (default: Closed Won, Won)."),
        click.option("--lost", default=None, metavar="STAGE[,STAGE]",
                     help="The stages that mean lost (default: Closed Lost, Lost)."),
        click.option("--roster", default=None, metavar="ROSTER.csv",
                     help="Sellers with start and leave dates and role (CSV or xlsx)."),
    ]):
        command = option(command)
    return command
