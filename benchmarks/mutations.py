"""Switch off each lever and mechanism in turn and check that some test fails.

    python benchmarks/mutations.py              # every mutation (a few minutes)
    python benchmarks/mutations.py deal cycle   # those whose feature names contain a word
    python benchmarks/mutations.py --list       # the table of mutations, without running

Each mutation replaces one exact snippet of the engine's source by a version without the
feature, in a scratch copy of the project (never in this tree), and runs the named test
files there with ``pytest -x``. A mutation is KILLED when a test fails, and SURVIVED when
every test passes: then the feature can go without the suite noticing. A snippet that is
missing or not unique is reported as such (the engine moved on: update the snippet), never
skipped. Before the mutations, the same test files run on the unchanged copy and must pass.
The golden test is never used: it fails on any change of numbers, so it proves nothing
about a feature.

Exit status: 0 when every mutation is killed, 1 otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".venv-ci", "outputs", "__pycache__", ".pytest_cache", ".ruff_cache",
    ".hypothesis", "build", "dist", "*.egg-info",
    "*.so", "*.c",  # the compiled core: the copy runs the (mutated) .py sources
)

BITE = "tests/test_mechanisms_bite.py"
MECH = "tests/test_mechanisms.py"
CLOSED = "tests/test_closed_forms.py"
PIPE = "tests/test_pipeline.py"
STREAMS = "tests/test_random_streams.py"
FIT = "tests/test_fitted_pipeline.py"


@dataclass(frozen=True)
class Mutation:
    feature: str
    file: str
    snippet: str
    replacement: str
    tests: tuple[str, ...]


M = Mutation
MUTATIONS: tuple[Mutation, ...] = (
    # ---- levers (sim/people.py caches them per head; sim/model.py for the book) ----
    M("lever pipeline", "sim/people.py",
      "role.opps_per_day * lever[levers.PIPELINE] * lever[levers.SELLING_TIME]",
      "role.opps_per_day * lever[levers.SELLING_TIME]", (BITE,)),
    M("lever selling_time (pipeline)", "sim/people.py",
      "role.opps_per_day * lever[levers.PIPELINE] * lever[levers.SELLING_TIME]",
      "role.opps_per_day * lever[levers.PIPELINE]", (BITE,)),
    M("lever selling_time (capacity)", "sim/people.py",
      "self.room = lever[levers.CAPACITY] * lever[levers.SELLING_TIME]",
      "self.room = lever[levers.CAPACITY]", (BITE,)),
    M("lever capacity", "sim/people.py",
      "self.room = lever[levers.CAPACITY] * lever[levers.SELLING_TIME]",
      "self.room = lever[levers.SELLING_TIME]", (BITE,)),
    M("lever win_rate", "sim/people.py",
      "self.segment.win_rate * self.skill * lever[levers.WIN_RATE]",
      "self.segment.win_rate * self.skill", (MECH,)),
    M("lever deal_size", "sim/people.py",
      "self.deal_mult = lever[levers.DEAL_SIZE]", "self.deal_mult = 1.0", (BITE,)),
    M("lever cycle_time", "sim/people.py",
      "self.cycle_mult = lever[levers.CYCLE_TIME]", "self.cycle_mult = 1.0", (BITE,)),
    M("lever ramp_speed (within a month)", "sim/people.py",
      "speed = self.ramp_speed", "speed = 1.0", (BITE, CLOSED)),
    M("lever ramp_speed (progress kept)", "sim/people.py",
      "(day - self.progress_at) * self.ramp_speed",
      "(day - self.progress_at)", (BITE, CLOSED)),
    M("lever attrition", "sim/people.py",
      "self.hazard = role.attrition_per_day * lever[levers.ATTRITION]",
      "self.hazard = role.attrition_per_day", (BITE,)),
    M("lever time_to_hire", "sim/model.py",
      "lever *= 1.0 + (factor - 1.0) * fraction", "lever *= 1.0", (BITE,)),
    M("lever churn", "sim/model.py",
      "self.company[levers.CHURN]", "1.0", (BITE,)),
    M("lever expansion", "sim/model.py",
      "self.company[levers.EXPANSION]", "1.0", (BITE,)),
    # ---- people ----
    M("ramp", "sim/people.py",
      "pieces.append((t, t_next, ramp[k]))", "pieces.append((t, t_next, ramp[-1]))",
      (CLOSED,)),
    M("skill multiplies win probability", "sim/people.py",
      "self.segment.win_rate * self.skill * lever[levers.WIN_RATE]",
      "self.segment.win_rate * lever[levers.WIN_RATE]", (BITE,)),
    M("attrition", "sim/people.py", "if hazard > 0 and may_leave:", "if False:",
      (MECH,)),
    M("backfill", "sim/model.py", "if backfill:", "if False:", (MECH,)),
    M("planned hires", "sim/model.py",
      "for _ in range(count):", "for _ in range(0):", (MECH,)),
    M("planned exits", "sim/model.py",
      "for head in roster.longest_tenure(-count):", "for head in []:", (MECH,)),
    M("managers by span (headcount)", "sim/model.py",
      'raw[ix[f"heads_{role.name}"]][month] = count',
      'raw[ix[f"heads_{role.name}"]][month] = 1', (MECH,)),
    M("managers by span (cost days)", "sim/model.py",
      "self.manager_days[role.name] += count * (day - self.manager_mark)",
      "self.manager_days[role.name] += day - self.manager_mark", (BITE,)),
    # ---- pipeline ----
    M("territory decay on new seats (rate)", "sim/people.py",
      "self.rate_unit * segment_factor * self.seat_factor",
      "self.rate_unit * segment_factor", (BITE,)),
    M("territory decay on new seats (roster)", "sim/people.py",
      "head.seat_factor = self.seat_factor(seat)", "head.seat_factor = 1.0", (BITE,)),
    M("market saturation", "sim/model.py",
      "self.book.market_factor(seg.index) * seg.seasonality[calendar]",
      "seg.seasonality[calendar]", (MECH,)),
    M("seasonality", "sim/model.py",
      "self.book.market_factor(seg.index) * seg.seasonality[calendar]",
      "self.book.market_factor(seg.index)", (MECH,)),
    M("SDRs source opportunities", "sim/roles.py",
      'required=("segment",), sources=SDR,', 'required=("segment",), sources=None,', (BITE,)),
    M("inbound pipeline", "sim/model.py",
      "rate = seg.inbound_per_day * self.segment_factor[seg.index]", "rate = 0.0", (MECH,)),
    M("capacity follows the ramp", "sim/people.py",
      "self.max_open * self.ramp_avg * self.room", "self.max_open * self.room",
      (BITE,)),
    M("a full seller sources nothing", "sim/pipeline.py",
      "if spares[slot] <= 0:", "if False:", (MECH,)),
    M("a full seller's arrivals counted as lost to capacity", "sim/pipeline.py",
      "n_full += 1", "pass", ("tests/test_capacity_loss.py",)),
    M("routing to the most spare capacity", "sim/pipeline.py",
      "return spares[:n].index(max(spares[:n])) if n else -1", "return 0 if n else -1",
      (PIPE, MECH)),
    M("unworked when nobody has room", "sim/pipeline.py",
      "if slot >= 0 and spares[slot] <= 0:", "if False:", (MECH, PIPE)),
    M("leavers' deals handed over", "sim/pipeline.py",
      "heirs.append(owner)", "heirs.append(None)", (PIPE,)),
    M("leavers' deals lost with nobody left", "sim/pipeline.py",
      "self.lost[self.month] += 1", "pass", (PIPE,)),
    M("warm start (warm-up months)", "sim/plan.py",
      "warm_months=0 if state is not None else min(WARM_MAX_MONTHS, max(WARM_MIN_MONTHS, warm)),",
      "warm_months=0,", ("tests/test_stationary_start.py", CLOSED)),
    M("warm start (steady pipeline at day 0)", "sim/plan.py",
      "open_pipeline=state is None,", "open_pipeline=False,",
      ("tests/test_stationary_start.py",)),
    # ---- what a fitted scenario adds (issue 14) ----
    M("fitted: undecided opportunities never win", "sim/people.py",
      "self.p_win = min(1.0, self.p_win) * self.decided", "pass", (FIT,)),
    M("fitted: undecided opportunities are not lost", "sim/pipeline.py",
      "if u_win < owner.decided:", "if True:", (FIT,)),
    M("fitted: undecided opportunities stay open to the drop age", "sim/people.py",
      "return self.no_decision_days",
      "return math.exp(self.cycle_mu + self.cycle_sigma * z_cycle)", (FIT,)),
    M("fitted: undecided opportunities in the steady start", "sim/steady.py",
      "if win >= 1.0 - q:  # undecided: open for the drop age", "if False:", (FIT,)),
    M("fitted: warm-up covers the drop age", "sim/plan.py",
      "            return drop\n", "            return early\n", (FIT,)),
    M("fitted: a seller's opportunities follow the empirical cycle", "sim/people.py",
      "self.cycle_table = segment.cycle", "self.cycle_table = None", (FIT,)),
    M("fitted: empirical cycle's shape (not only its mean)", "sim/people.py",
      "return table.at(z_cycle) * self.cycle_mult", "return table.mean * self.cycle_mult",
      (FIT,)),
    M("fitted: empirical cycle's length-biased start", "sim/plan.py",
      "return math.sqrt(a * a + v * (b * b - a * a))", "return self.at(z)", (FIT,)),
    M("fitted: warm-up from the empirical cycle's 90% quantile", "sim/plan.py",
      "return self.quantile(0.9)", "return self.mean", (FIT,)),
    M("fitted: deal-size mix books its components", "sim/pipeline.py",
      "size = owner.deal_mix.at(z_size) * owner.deal_mult",
      "size = owner.deal_mix.parts[0].at(z_size) * owner.deal_mult", (FIT,)),
    M("fitted: deal-size mix picks components by share", "sim/plan.py",
      "k = min(bisect.bisect_right(upper, u), len(upper) - 1)", "k = 0", (FIT,)),
    M("fitted: opps_spread multiplies a head's rate", "sim/people.py",
      "self.rate_unit *= self.opps_factor", "pass", (FIT,)),
    M("fitted: opps_spread in the steady start (model)", "sim/model.py",
      "own_factor = head.opps_factor if head is not None else 1.0", "own_factor = 1.0",
      (FIT,)),
    M("fitted: opps_spread in the steady start (draw)", "sim/steady.py",
      "            factor *= own_factor\n", "            pass\n", (FIT,)),
    # ---- customers and revenue ----
    M("churn", "sim/customers.py",
      "p_churn = min(1.0, p_churn)", "p_churn = 0.0", (CLOSED,)),
    M("expansion", "sim/customers.py",
      "growth = ((1.0 + plan.expansion) ** (1.0 / 12.0) - 1.0) * expansion_mult",
      "growth = 0.0 * expansion_mult", (CLOSED,)),
    M("CSM overload raises churn", "sim/customers.py",
      "p_churn *= 1.0 + plan.overload_churn * (load - 1.0)", "pass", (MECH,)),
    M("CSM overload divides expansion", "sim/customers.py",
      "growth /= load", "pass", (BITE,)),
    M("CSM role without heads: infinite load", "sim/customers.py",
      "if csm_capacity > 0 else np.inf", "if csm_capacity > 0 else 0.0", (BITE,)),
    M("CSM capacity follows their ramp", "sim/model.py",
      "h.ramp_avg * r.role.book_per_head", "r.role.book_per_head", (BITE,)),
    M("revenue accrues won deals daily", "sim/customers.py",
      "self.month_revenue_extra += arr * (month_end - day) / YEAR_DAYS", "pass", (BITE,)),
    # ---- costs ----
    M("cost: people", "sim/people.py",
      "cost += days * head.role.cost_per_day", "cost += 0.0", (MECH,)),
    M("cost: commission", "sim/pipeline.py",
      "n_commission += size * owner.commission", "pass", (MECH,)),
    M("cost: hiring", "sim/model.py",
      'self._record("cost_hiring", day, head.role.hire_cost)', "pass", (MECH,)),
    M("cost: program one-off", "sim/model.py",
      "program_cost += program.cost", "pass", (MECH,)),
    M("cost: program monthly", "sim/model.py",
      "program_cost += program.monthly_cost", "pass", (MECH, BITE)),
    M("cost: program seats at the month's start", "sim/model.py",
      "program_cost += program.seat_cost_per_month * targeted", "pass", (MECH,)),
    M("cost: program seat of a head starting mid-month", "sim/model.py",
      'self._record("cost_programs", day, seats)', "pass", (MECH,)),
    # ---- programs and support ----
    M("program phase-in", "sim/model.py",
      "fraction = levers.phase_fraction(elapsed, program.phase_in_months)",
      "fraction = 1.0", (BITE,)),
    M("program start month", "sim/plan.py",
      "return self.start_month <= month < self.end_month",
      "return month < self.end_month", (MECH, BITE)),
    M("program end month (months)", "sim/plan.py",
      "return self.start_month <= month < self.end_month",
      "return self.start_month <= month", (BITE,)),
    M("program targets a role", "sim/model.py",
      "if program.role is not None and head.role.name != program.role:", "if False:",
      (BITE,)),
    M("program targets bottom_quartile", "sim/model.py",
      "return head in cohort", "return True", (MECH,)),
    M("program targets new_hires", "sim/model.py",
      "return head.hired_at > month_start - YEAR_DAYS", "return True", (BITE,)),
    M("program reaches a head starting mid-month", "sim/model.py",
      "head.set_lever(self._head_levers(head))", "pass", (BITE,)),
    M("support coverage (covers)", "sim/model.py",
      "coverage = min(1.0, supported / covered) if covered else 0.0",
      "coverage = 1.0 if covered else 0.0", (MECH,)),
    M("support effects reach covered sellers", "sim/model.py",
      "levers.apply(lever, effects, coverage)", "pass", (MECH,)),
    # ---- random streams ----
    M("stream key length prefix", "sim/streams.py",
      "[len(seed_words), *seed_words, replication", "[*seed_words, replication", (STREAMS,)),
)


def copy_tree(dest: Path) -> Path:
    """The project's source tree, without environments, caches or outputs, under `dest`."""
    tree = dest / "simrev"
    shutil.copytree(ROOT, tree, ignore=IGNORED)
    return tree


def run_tests(tree: Path, tests: tuple[str, ...]) -> tuple[int, float, str]:
    """pytest -x on `tests` in `tree` with `tree` first on the path: (rc, seconds, tail)."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1",
               SIMREV_CORE="interpreted")  # never a compiled module the mutation misses
    env.pop("HYPOTHESIS_PROFILE", None)  # the deterministic default
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )
    tail = (proc.stdout + proc.stderr).strip().splitlines()
    return proc.returncode, time.perf_counter() - start, tail[-1] if tail else ""


def check_imports_from(tree: Path) -> None:
    """The copy, not the editable install, must be what `import sim` finds there."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    found = subprocess.run([sys.executable, "-c", "import sim; print(sim.__file__)"],
                           cwd=tree, env=env, capture_output=True, text=True, check=True)
    if not Path(found.stdout.strip()).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"import sim finds {found.stdout.strip()}, not the copy in {tree}")


def apply(tree: Path, mutation: Mutation) -> str | None:
    """Patch the copy; return why not (snippet missing or repeated), or None."""
    path = tree / mutation.file
    text = path.read_text(encoding="utf-8")
    count = text.count(mutation.snippet)
    if count != 1:
        return "snippet not found" if count == 0 else f"snippet found {count} times"
    path.write_text(text.replace(mutation.snippet, mutation.replacement), encoding="utf-8")
    return None


def main(argv: list[str]) -> int:
    words = [w for w in argv if not w.startswith("-")]
    chosen = [m for m in MUTATIONS
              if not words or any(w.lower() in m.feature.lower() for w in words)]
    width = max(len(m.feature) for m in MUTATIONS)
    if "--list" in argv:
        missing = 0
        for m in chosen:
            count = (ROOT / m.file).read_text(encoding="utf-8").count(m.snippet)
            state = "" if count == 1 else f"  [snippet found {count} times]"
            missing += count != 1
            print(f"{m.feature:<{width}}  {m.file}: {m.snippet!r} -> {m.replacement!r}{state}")
        return 1 if missing else 0
    failures = 0
    with tempfile.TemporaryDirectory(prefix="simrev-mutations-") as scratch:
        tree = copy_tree(Path(scratch))
        check_imports_from(tree)
        baseline = tuple(sorted({t for m in chosen for t in m.tests}))
        rc, seconds, tail = run_tests(tree, baseline)
        if rc != 0:
            print(f"the unchanged tests fail ({tail}); no mutation can be judged")
            return 1
        print(f"baseline: {len(baseline)} test files pass unchanged ({seconds:.0f} s)\n")
        print(f"{'feature':<{width}}  result    seconds  tests")
        for m in chosen:
            original = (tree / m.file).read_text(encoding="utf-8")
            problem = apply(tree, m)
            try:
                if problem:
                    verdict, seconds, detail = "ERROR", 0.0, f"{m.file}: {problem}"
                else:
                    rc, seconds, tail = run_tests(tree, m.tests)
                    verdict = "SURVIVED" if rc == 0 else "KILLED"
                    detail = " ".join(Path(t).name for t in m.tests)
                    if rc not in (0, 1):
                        detail += f" (pytest exit {rc}: {tail})"
            finally:
                (tree / m.file).write_text(original, encoding="utf-8")
            failures += verdict != "KILLED"
            print(f"{m.feature:<{width}}  {verdict:<8}  {seconds:7.1f}  {detail}", flush=True)
    print(f"\n{len(chosen) - failures} of {len(chosen)} mutations killed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
