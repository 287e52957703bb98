"""Options shared by the commands (sqlite-utils style decorators)."""

from __future__ import annotations

from collections.abc import Callable

import click

# Values of the library, written here so that defining the commands imports neither the
# simulation nor pandas and scipy (`simrev --version`, `validate`, `schema` stay fast);
# tests/test_startup.py checks each against its source.
SCHEDULER_ENV = "SIMREV_SCHEDULER"  # sim.runner.SCHEDULER_ENV
DEFAULT_OBJECTIVE = "arr_per_extra_dollar"  # sim.recommend.DEFAULT_OBJECTIVE
MAX_QUARTERS, MAX_ROLLING = 8, 20  # sim.backtest's limits of --quarters and --rolling


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
    """--columns, --won, --lost and --roster: how a CRM export is read (fit, backtest)."""
    for option in reversed([
        click.option("--columns", default=None, metavar="FIELD=COLUMN,...",
                     help="Map fields to the export's columns where their names are not "
                          "recognised, e.g. --columns owner=Rep,created=CreatedDate (fields: "
                          "id, owner, created, closed, stage, amount, product, source)."),
        click.option("--won", default=None, metavar="STAGE[,STAGE]",
                     help="Stages that mean won (default: Closed Won, closedwon, Won)."),
        click.option("--lost", default=None, metavar="STAGE[,STAGE]",
                     help="Stages that mean lost (default: Closed Lost, closedlost, Lost); "
                          "every other stage is open."),
        click.option("--roster", default=None, metavar="ROSTER.csv",
                     help="Sellers with start and leave dates (and role), CSV or xlsx: "
                          "tenure, attrition and time to hire; without it they are inferred "
                          "from each seller's first and last opportunity."),
    ]):
        command = option(command)
    return command
