"""The `simrev` command: a thin click shell over the `sim` library.

Exit codes: 0 success, 1 internal error, 2 bad input (file, key, value or option),
130 interrupted. Every error is one line on stderr.

Each command imports the library modules it uses when it runs: defining the commands
loads click alone, so `simrev --version`, `validate` or `schema` never pay for pandas,
scipy or rich, and `run` never loads what only `fit` or `backtest` need.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import click

from cli import INTERRUPTED
from cli.options import (
    DEFAULT_OBJECTIVE,
    MAX_QUARTERS,
    MAX_ROLLING,
    debug_option,
    export_options,
    run_options,
    scenario_options,
)
from sim import __version__, api
from sim.scenario.errors import ScenarioError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from sim.scenario import Scenario

EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 1, 2, 130


def one_line(text: str) -> str:
    return " ".join(str(text).split())


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM. Not a KeyboardInterrupt, which click would answer with a blank
    line before our one-line message."""


class SimrevGroup(click.Group):
    """Turns every failure into one line on stderr and the right exit code."""

    def main(self, args: Sequence[str] | None = None, **kwargs: object) -> None:  # type: ignore[override]
        args = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in args
        kwargs.pop("standalone_mode", None)
        gc.freeze()  # the imports are never garbage: collections skip them
        previous = _catch_interrupts()
        try:
            code = super().main(args=args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as done:
            code = done.exit_code
        except (Interrupted, click.exceptions.Abort, KeyboardInterrupt):
            click.echo(INTERRUPTED, err=True)
            code = EXIT_INTERRUPTED
        except click.UsageError as error:
            where = f"{error.ctx.command_path}: " if error.ctx else "simrev: "
            click.echo(one_line(where + error.format_message()), err=True)
            code = EXIT_BAD_INPUT
        except click.ClickException as error:
            click.echo(one_line("simrev: " + error.format_message()), err=True)
            code = error.exit_code
        except ScenarioError as error:
            click.echo(one_line(str(error)), err=True)
            code = EXIT_BAD_INPUT
        except Exception as error:  # noqa: BLE001 - the one place internal errors end
            code = EXIT_INTERNAL
            if _run_failed(error):
                click.echo(one_line(f"simrev: {error}; previous results are untouched"),
                           err=True)
            else:
                if debug:
                    traceback.print_exc()
                click.echo(
                    one_line(f"simrev: internal error: {type(error).__name__}: {error} "
                             "(rerun with --debug for the traceback)"),
                    err=True,
                )
        finally:
            if _interrupted and previous is not None:
                # The process is ending: a late signal must not turn exit 130 into a death
                # by signal while the interpreter shuts down (which resets Python handlers,
                # not SIG_IGN).
                previous = dict.fromkeys(previous, signal.SIG_IGN)
            _restore(previous)
        sys.exit(code or 0)


def _run_failed(error: Exception) -> bool:
    """A `sim.runner.RunFailed` (a lost worker or scheduler): only a command that imported
    sim.runner can raise one, so no other needs to import it to check."""
    runner = sys.modules.get("sim.runner")
    return runner is not None and isinstance(error, runner.RunFailed)


_interrupted = False


def _interrupt(signum: int, _frame: object) -> None:
    """The first Ctrl-C or SIGTERM ends the run (cleanup included); any later one is
    ignored, so it cannot cut the cleanup short and leave workers behind."""
    global _interrupted
    if _interrupted:
        return
    _interrupted = True
    raise Interrupted


def _catch_interrupts() -> dict[int, object] | None:
    """Ctrl-C and SIGTERM raise `Interrupted`; returns the handlers to restore (None off
    the main thread, where signals cannot be set)."""
    global _interrupted
    _interrupted = False
    try:
        return {signum: signal.signal(signum, _interrupt)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:
        return None


def _restore(previous: dict[int, object] | None) -> None:
    for signum, handler in (previous or {}).items():
        if handler is not None:
            signal.signal(signum, handler)  # type: ignore[arg-type]


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``simrev --version``: the version and which core runs (sim.core)."""
    if not value or ctx.resilient_parsing:
        return
    from sim.core import describe

    click.echo(f"simrev, version {__version__} ({describe()})")
    ctx.exit()


@click.group(cls=SimrevGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version,
              help="Show the version and which core runs (compiled or interpreted), and exit.")
def main() -> None:
    """Simulate a go-to-market team, many times over, to plan revenue capacity.

    \b
    Example:
      simrev run scenarios/hire5.yaml
    """


def load_all(paths: Sequence[str], overrides: Sequence[str], replications: int | None,
             seed: int | None) -> list[Scenario]:
    """Every scenario, validated before anything runs."""
    return [api.load(path, overrides, replications=replications, seed=seed) for path in paths]


def guard_memory(scenarios: Sequence[Scenario], paths: Sequence[str], workers: int | None,
                 scheduler: str | None = None, allow_long: bool = False) -> None:
    """Refuse a run too big for this machine's memory or too long for its patience
    (unless `allow_long`), counting the worker processes it will start (none here when a
    Dask scheduler runs it)."""
    from sim.plan import compile_plan
    from sim.runner import check_memory, default_workers

    local = 0 if scheduler else (default_workers() if workers is None else workers)
    for scenario, path in zip(scenarios, paths, strict=True):
        check_memory(compile_plan(scenario), scenario.replications, path, workers=local,
                     allow_long=allow_long)


PROGRESS_AFTER_ENV = "SIMREV_PROGRESS_AFTER"  # seconds before the bar shows (default 1)


class ProgressReporter:
    """A progress bar on a terminal, shown once a run has taken `after_seconds`."""

    def __init__(self, total: int, label: str, enabled: bool, after_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.label = label
        self.enabled = enabled
        self.after_seconds = after_seconds
        self.clock = clock
        self.done = 0
        self.started = clock()
        self.bar: Progress | None = None
        self.task = None

    def __call__(self, count: int) -> None:
        self.done += count
        if not self.enabled:
            return
        if self.bar is None and self.clock() - self.started >= self.after_seconds:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=self.total, rate="")
        if self.bar is not None:
            rate = self.done / max(1e-9, self.clock() - self.started)
            self.bar.update(self.task, completed=self.done, rate=f"{rate:,.0f} rep/s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def progress_for(total: int, label: str, quiet: bool) -> ProgressReporter:
    try:
        after_seconds = float(os.environ.get(PROGRESS_AFTER_ENV, "1"))
    except ValueError:
        after_seconds = 1.0
    return ProgressReporter(total, label, enabled=not quiet and sys.stderr.isatty(),
                            after_seconds=after_seconds)


# Piped output (not a terminal) is this wide unless COLUMNS says otherwise: every table in
# one piece and no line wrapped, so nothing is cut for a file or a pager.
PIPED_WIDTH = 10_000


def stdout_console() -> Console:
    """Results go here: a terminal's own width; piped, COLUMNS if set, else `PIPED_WIDTH`.

    Tables split to fit the width (cli/tables.py), so no width cuts a number."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal and not os.environ.get("COLUMNS", "").strip().isdigit():
        console = Console(width=PIPED_WIDTH)
    return console


# What `run` imports once the replications are in (pandas with them), imported while the
# workers simulate (`sim.api.Preload`); the tables only when it prints.
RUN_PRELOAD = ("sim.sensitivity", "sim.report", "cli.tables")


@main.command()
@click.argument("scenarios", nargs=-1, required=True, metavar="SCENARIO.yaml...")
@click.option("--xlsx", is_flag=True, help="Also write summary.xlsx for spreadsheets.")
@scenario_options
@run_options
@debug_option
def run(scenarios: tuple[str, ...], xlsx: bool, overrides: tuple[str, ...],
        replications: int | None, seed: int | None, out: str, workers: int | None,
        scheduler: str | None, quiet: bool, allow_long: bool, debug: bool) -> None:
    """Simulate each scenario, print a summary and write DIR/<name>/.

    \b
    Example:
      simrev run scenarios/hire5.yaml --replications 500 --set roles.ae.headcount=25
    """
    from sim.outputs import check_out_dir, check_replaceable, write_run

    loaded = load_all(scenarios, overrides, replications, seed)
    out_dir = check_out_dir(out)
    for scenario in loaded:  # refuse before simulating, not minutes later
        check_replaceable(out_dir, scenario.name, "run")
    guard_memory(loaded, scenarios, workers, scheduler, allow_long)
    console = None if quiet else stdout_console()
    for scenario in loaded:
        reporter = progress_for(scenario.replications, scenario.name, quiet)
        try:
            result = api.run(scenario, workers=workers, progress=reporter, scheduler=scheduler,
                             allow_long=allow_long, preload=RUN_PRELOAD[: 2 if quiet else 3])
        finally:
            reporter.close()
        from sim.sensitivity import run_sensitivity

        drivers = run_sensitivity(result)  # once: the file, the report and the terminal
        folder = write_run(result, out_dir, xlsx, drivers)
        if not quiet:
            from cli.tables import print_run

            print_run(console, result, str(folder), drivers)


@main.command()
@click.argument("scenarios", nargs=-1, required=True, metavar="SCENARIO.yaml...")
@scenario_options
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@debug_option
def validate(scenarios: tuple[str, ...], overrides: tuple[str, ...], replications: int | None,
             seed: int | None, quiet: bool, debug: bool) -> None:
    """Check scenario files without simulating; print the first error of each.

    \b
    Example:
      simrev validate scenarios/*.yaml
    """
    bad = 0
    for path in scenarios:
        try:
            api.load(path, overrides, replications=replications, seed=seed)
        except ScenarioError as error:
            bad += 1
            click.echo(one_line(str(error)), err=True)
            continue
        if not quiet:
            click.echo(f"ok  {path}")
    if bad:
        raise click.exceptions.Exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("scenario", metavar="SCENARIO.yaml")
@scenario_options
@debug_option
def show(scenario: str, overrides: tuple[str, ...], replications: int | None,
         seed: int | None, debug: bool) -> None:
    """Print the fully resolved scenario (after extends, defaults and --set) as YAML.

    \b
    Example:
      simrev show scenarios/hire5.yaml --set roles.ae.headcount=25
    """
    from sim.scenario import scenario_to_yaml

    click.echo(scenario_to_yaml(api.load(scenario, overrides, replications=replications,
                                         seed=seed)), nl=False)




def unique_names(scenarios: list[Scenario]) -> list[Scenario]:
    """Rename repeated scenario names (comparing a file with itself): name, name-2, ..."""
    seen: dict[str, int] = {}
    out = []
    for scenario in scenarios:
        count = seen.get(scenario.name, 0) + 1
        seen[scenario.name] = count
        if count > 1:
            scenario = scenario.model_copy(update={"name": f"{scenario.name}-{count}"})
        out.append(scenario)
    return out


@main.command()
@click.argument("scenarios", nargs=-1, required=True, metavar="BASE.yaml [OTHER.yaml]...")
@click.option("--vary", default=None, metavar="KEY.PATH=V1,V2,...",
              help="Add one variant of BASE per value, e.g. --vary roles.ae.headcount=20,25,30.")
@click.option("--objective", default=DEFAULT_OBJECTIVE, show_default=True, metavar="METRIC",
              help="What the recommendation ranks plans by: ARR per extra dollar, or a "
                   "metric with a direction, e.g. bookings (docs/metrics.md).")
@click.option("--align", is_flag=True,
              help="Run every plan on BASE's start and quarters (a plan with another "
                   "horizon is refused otherwise).")
@click.option("--hire", "hires", multiple=True, metavar="ROLE=N1,N2,...",
              help="Add one variant of BASE per count of ROLE hired through requisitions, "
                   "e.g. --hire ae=0,3,5,8 (repeatable: the cross product of the counts).")
@click.option("--at", default=None, metavar="YYYY-MM,...",
              help="Months the --hire requisitions open, one variant each (default: the "
                   "first month).")
@click.option("--xlsx", is_flag=True, help="Also write summary.xlsx for spreadsheets.")
@scenario_options
@run_options
@debug_option
def compare(scenarios: tuple[str, ...], vary: str | None, hires: tuple[str, ...],
            at: str | None, objective: str, align: bool,
            xlsx: bool, overrides: tuple[str, ...], replications: int | None,
            seed: int | None, out: str, workers: int | None, scheduler: str | None,
            quiet: bool, allow_long: bool, debug: bool) -> None:
    """Simulate scenarios with common random numbers; report paired differences vs BASE;
    end with one recommendation.

    Every scenario runs with BASE's seed and replications, so replication r of each sees
    the same random draws and a difference measures the plan, not the noise. Plans must
    have BASE's start and quarters (or --align). The last line recommends the plan with
    the most ARR per extra dollar (or --objective METRIC), or says to keep BASE.

    \b
    Example:
      simrev compare scenarios/base.yaml scenarios/hire5.yaml scenarios/support.yaml
      simrev compare scenarios/base.yaml --vary roles.ae.headcount=20,22,25,30
      simrev compare scenarios/base.yaml scenarios/hire5.yaml --objective bookings
      simrev compare scenarios/base.yaml --hire ae=0,3,5,8 --at 2027-01,2027-04
    """
    from sim.compare import compare as paired_table
    from sim.compare import increments as paired_increments
    from sim.hire_sweep import check_options, hire_curve, hire_sweep, payback_lines
    from sim.outputs import check_out_dir, check_replaceable, compare_folder_name, write_compare
    from sim.recommend import check_objective, recommend
    from sim.sensitivity import paired_sensitivity

    check_objective(objective)
    check_options(hires, at, vary)
    loaded = load_all(scenarios, overrides, replications, seed)
    paths = list(scenarios)
    files = list(scenarios)
    sweep = None
    if vary is not None:
        key_path, values, variants = api.sweep(scenarios[0], vary, overrides,
                                               replications=replications, seed=seed)
        if key_path in ("start", "quarters"):
            raise ScenarioError(None, "--vary", vary,
                                "expected a key other than start and quarters: a comparison "
                                "runs every plan on the base's horizon")
        loaded += variants
        paths += [scenarios[0]] * len(variants)
        files += [f"{scenarios[0]} (--vary {key_path}={value})" for value in values]
        sweep = (key_path, values)
    hired = hire_sweep(loaded[0], hires, at, scenarios[0]) if hires else None
    if hired is not None:
        loaded += [v.scenario for v in hired.variants]
        paths += [scenarios[0]] * len(hired.variants)
        files += [f"{scenarios[0]} (--hire: {v.scenario.name})" for v in hired.variants]
    loaded = api.comparable(loaded, files, align=align)
    loaded = unique_names(loaded)
    out_dir = check_out_dir(out)
    check_replaceable(out_dir, compare_folder_name([s.name for s in loaded]), "compare")
    base = loaded[0]
    loaded = [s.model_copy(update={"seed": base.seed, "replications": base.replications})
              for s in loaded]
    guard_memory(loaded, paths, workers, scheduler, allow_long)
    reporter = progress_for(base.replications * len(loaded), "compare", quiet)
    try:
        results = api.run_compared(loaded, workers=workers, progress=reporter,
                                   allow_long=allow_long,
                                   scheduler=scheduler)
    finally:
        reporter.close()
    table = paired_table(results)
    increments = paired_increments(results)
    drivers = paired_sensitivity(results)
    advice = recommend(results, objective)
    report = render_compare_report(results, table, increments, sweep, drivers, advice,
                                   hired)
    folder = write_compare(results, table, increments, out_dir, report, xlsx, drivers,
                           advice)
    if not quiet:
        from cli.tables import (
            compare_drivers_table,
            compare_table,
            hire_tables,
            increments_table,
            leaders,
        )

        console = stdout_console()
        console.print(compare_table(table, base.replications, base.seed))
        if len(results) > 1:
            console.print(increments_table(increments))
        if drivers is not None:
            console.print(compare_drivers_table(drivers, base.name))
        if hired is not None:
            curve = hire_curve(results, hired)
            for hire_table in hire_tables(curve, hired.roles[0]):
                console.print(hire_table)
            for line in payback_lines(curve, hired.roles[0]):
                console.print(line)
        for line in leaders(table):
            console.print(line)
        console.print(f"Results written to {folder}/")
        console.print(f"Recommendation: {advice.sentence}", markup=False, highlight=False,
                      soft_wrap=True)


def render_compare_report(results, table, increments, sweep, sensitivity=None,
                          recommendation=None, hires=None) -> str:
    """The HTML report of a comparison."""
    from sim.report import render_compare

    return render_compare(results, table, increments, sweep, sensitivity, recommendation,
                          hires)


@main.command()
@click.argument("export", metavar="EXPORT.csv")
@click.option("--as-of", "as_of", required=True, metavar="YYYY-MM-DD",
              help="The cut: only what was known on this day is used; the scenario starts "
                   "the month after.")
@click.option("--out", required=True, metavar="DIR",
              help="The folder to write (whole; replaced only if simrev fit wrote it); its "
                   "name is [a-z0-9_-]+.")
@click.option("--name", default="crm", show_default=True, metavar="NAME",
              help="The scenario's name: DIR/NAME.yaml and DIR/NAME-state.csv.")
@export_options
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@debug_option
def fit(export: str, as_of: str, out: str, name: str, columns: str | None, won: str | None,
        lost: str | None, roster: str | None, quiet: bool, debug: bool) -> None:
    """Fit a scenario to a CRM opportunity export (CSV or xlsx) as known on --as-of.

    Writes DIR/NAME.yaml (a scenario starting the month after --as-of, each value commented
    with its estimate, standard error and sample size), DIR/NAME-state.csv (the open
    opportunities and sellers at the cut) and DIR/fit.txt, DIR/fit.html (what was estimated
    from how much data, rows not used, warnings). docs/fit.md has the details.

    \b
    Example:
      simrev fit opportunities.csv --as-of 2024-06-30 --out fitted --won "Closed Won"
      simrev run fitted/crm.yaml
    """
    from sim.crm import read_export, read_roster
    from sim.fit import check_fit_dir, check_name, fit_export, write_fit

    check_name(name)
    check_fit_dir(out)  # refuse before reading, not after
    table = read_export(export, as_of=as_of, columns=columns, won=won, lost=lost)
    people = read_roster(roster) if roster is not None else None
    fitted = fit_export(table, people, name=name, source=os.path.basename(export))
    folder = write_fit(fitted, out)
    if not quiet:
        headcount = fitted.scenario["roles"]["ae"]["headcount"]
        click.echo(f"Fitted {len(table.opportunities):,} opportunities and {headcount} "
                   f"sellers as of {fitted.fit.as_of:%Y-%m-%d}; {len(fitted.warnings)} "
                   f"warning(s) in fit.txt.")
        for line in fitted.warnings:
            click.echo(f"  warning: {one_line(line)}")
        click.echo(f"Written to {folder}/: {name}.yaml, {fitted.state_file}, fit.txt, "
                   f"fit.html")
        click.echo(f"Next: simrev run {folder / (name + '.yaml')}")


@main.command()
@click.argument("scenario", metavar="SCENARIO.yaml")
@click.option("--as-of", "as_of", required=True, metavar="YYYY-MM-DD",
              help="The day the export is taken, inside the scenario's horizon.")
@click.option("--out", required=True, metavar="FILE.csv",
              help="The export to write (a new file: never replaced).")
@click.option("--roster", "roster_out", default=None, metavar="FILE.csv",
              help="Also write the sellers employed by --as-of (seller, start, leave, role).")
@click.option("--replication", type=click.IntRange(min=0), default=0, show_default=True,
              metavar="R", help="Which replication's opportunities to export.")
@scenario_options
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@debug_option
def synth(scenario: str, as_of: str, out: str, roster_out: str | None, replication: int,
          overrides: tuple[str, ...], replications: int | None, seed: int | None, quiet: bool,
          debug: bool) -> None:
    """Write the opportunities one replication simulated as a CRM export taken on --as-of.

    Salesforce-like columns (Opportunity ID, Opportunity Owner, Created Date, Close Date,
    Stage, Amount, Product, Lead Source): closed deals Closed Won / Closed Lost, open ones
    in Prospecting, Qualification, Proposal or Negotiation by age, deals that never decided
    open for ever; nothing created after --as-of. docs/synth.md has the details.

    \b
    Example:
      simrev synth examples/crm-demo.yaml --as-of 2024-12-31 --out crm.csv --roster roster.csv
      simrev fit crm.csv --as-of 2024-06-30 --roster roster.csv --out fitted
    """
    from sim.synth import check_as_of, check_target, write_new
    from sim.synth import synth as synth_export

    loaded = api.load(scenario, overrides, replications=replications, seed=seed)
    check_as_of(loaded, as_of, scenario)
    target = check_target(out, "--out")
    roster_target = check_target(roster_out, "--roster") if roster_out is not None else None
    if roster_target is not None and roster_target.resolve() == target.resolve():
        raise ScenarioError(None, "--roster", roster_out, "the same file as --out; expected "
                            "another file")
    export, people = synth_export(loaded, as_of, replication)
    write_new(export, target, "--out")
    if roster_target is not None:
        write_new(people, roster_target, "--roster")
    if not quiet:
        open_count = int((~export["Stage"].isin(["Closed Won", "Closed Lost"])).sum())
        click.echo(f"Wrote {len(export):,} opportunities ({open_count:,} open on {as_of}) of "
                   f"replication {replication} to {out}"
                   + (f", and {len(people)} sellers to {roster_out}" if roster_out else ""))


@main.command()
@click.argument("export", metavar="EXPORT.csv")
@click.option("--as-of", "as_of", required=True, metavar="YYYY-MM-DD",
              help="Fit on what the export knew at this date; forecast from the month after.")
@click.option("--quarters", type=click.IntRange(1, MAX_QUARTERS), default=2,
              show_default=True, metavar="N", help="Quarters forecast and scored per origin.")
@click.option("--rolling", type=click.IntRange(0, MAX_ROLLING), default=0, show_default=True,
              metavar="K", help="Also backtest at the K calendar quarter ends before --as-of.")
@export_options
@click.option("--replications", type=click.IntRange(min=2), default=200, show_default=True,
              metavar="N", help="Replications per origin.")
@click.option("--seed", type=click.IntRange(min=0), default=2024, show_default=True,
              metavar="S", help="Random seed of every origin's run.")
@click.option("--name", default="backtest", show_default=True, metavar="NAME",
              help="The results folder: DIR/NAME/.")
@click.option("--out", default="outputs", show_default=True, metavar="DIR",
              help="Parent folder of the results.")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Local worker processes (default: all cores).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@debug_option
def backtest(export: str, as_of: str, quarters: int, rolling: int, columns: str | None,
             won: str | None, lost: str | None, roster: str | None, replications: int,
             seed: int, name: str, out: str, workers: int | None, quiet: bool,
             debug: bool) -> None:
    """Fit on what EXPORT knew at --as-of, simulate, and score against what happened.

    Writes DIR/NAME/backtest.csv (per origin and quarter: actual, P10/P50/P90, errors,
    inside P10-P90, CRPS, and the run_rate, capacity and pipeline baselines), summary.csv
    (MAPE and coverage per method) and report.html. See docs/backtest.md.

    \b
    Example:
      simrev backtest crm.csv --as-of 2017-06-30 --quarters 2 --rolling 3 --out results
    """
    from cli.tables import print_backtest
    from sim.backtest import backtest as run_backtest
    from sim.backtest import write_backtest
    from sim.outputs import check_out_dir, check_replaceable

    out_dir = check_out_dir(out)
    check_replaceable(out_dir, name, "backtest")  # refuse before fitting, not minutes later
    say = None if quiet else (lambda text: click.echo(text, err=True))
    result = run_backtest(export, as_of, quarters, rolling, columns=columns, won=won,
                          lost=lost, roster=roster, replications=replications, seed=seed,
                          workers=workers, progress=say)
    folder = write_backtest(result, out_dir, name)
    if not quiet:
        print_backtest(stdout_console(), result, str(folder))


@main.command()
def schema() -> None:
    """Print the JSON Schema of a scenario file, for editors that validate and complete keys.

    Every key with its type, range, default and meaning; the shipped copy is
    docs/scenario.schema.json. Cross-checks between sections (a role's segment exists,
    dates in the horizon) are not in it: simrev validate runs them.

    \b
    Example:
      simrev schema > scenario.schema.json
      # first line of a scenario, for the VS Code YAML extension:
      # yaml-language-server: $schema=scenario.schema.json
    """
    from sim.scenario.schema import schema_json

    click.echo(schema_json(), nl=False)
