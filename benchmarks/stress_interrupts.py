"""Interrupt a `--workers 2` run many times; count hangs, orphans and lost results.

    python -m benchmarks.stress_interrupts [--times 50] [--timeout 20]

Each trial first has a good run of scenarios/base.yaml written to a folder, then starts a
second run writing to the same folder, polls until its two workers exist (no sleeps), and
then either presses Ctrl-C twice (0-0.2 s apart), Ctrl-C then SIGTERM, or SIGKILLs the
parent at a random instant (0-2 s after start, imports included). It counts:

- hang: the parent has not exited `--timeout` seconds after the signals;
- orphan: a process whose command line is the run's is alive after the parent is gone;
- lost: the folder's results are no longer exactly the good run's (or not there);
- bad exit: for the interrupts, an exit other than 130 with the one-line message.

Linux only (reads /proc). Uses both cores while it runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cli import INTERRUPTED
from tests.test_interrupts import children, process_state

SCENARIO = "scenarios/base.yaml"


def run_command(out: Path, replications: int) -> list[str]:
    return [sys.executable, "-m", "cli", "run", SCENARIO, "--workers", "2", "--replications",
            str(replications), "--out", str(out), "--quiet", "--allow-long"]


def digest(folder: Path) -> str | None:
    if not folder.is_dir():
        return None
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        sha.update(path.relative_to(folder).as_posix().encode())
        if path.is_file():
            sha.update(path.read_bytes())
    return sha.hexdigest()


def running_with(marker: str) -> list[int]:
    """Live processes whose command line mentions `marker` (the trial's output folder)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                text = cmdline.read().decode("utf-8", "replace")
        except OSError:
            continue
        state = process_state(int(entry))
        if marker in text and state is not None and state[0] != "Z":
            found.append(int(entry))
    return found


def trial(kind: str, out: Path, good: str, timeout: float) -> dict[str, bool]:
    """One interrupted run over good results in `out`; what went wrong."""
    process = subprocess.Popen(run_command(out, 100_000), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    if kind == "SIGKILL":
        time.sleep(random.uniform(0.0, 2.0))  # a random instant is the point here
        process.kill()
    else:
        deadline = time.monotonic() + 120
        while len(children(process.pid)) < 2 and time.monotonic() < deadline:
            if process.poll() is not None:
                break
            time.sleep(0.005)
        time.sleep(random.uniform(0.0, 0.5))  # somewhere in the run, not only its start
        process.send_signal(signal.SIGINT)
        time.sleep(random.uniform(0.0, 0.2))
        process.send_signal(signal.SIGINT if kind == "Ctrl-C x2" else signal.SIGTERM)
    hang = False
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        hang = True
        for pid in [process.pid, *running_with(str(out))]:  # workers hold stderr open
            os.kill(pid, signal.SIGKILL)
        _, stderr = process.communicate()
    deadline = time.monotonic() + 5  # the kernel delivers parent-death signals promptly
    while running_with(str(out)) and time.monotonic() < deadline:
        time.sleep(0.01)
    orphans = running_with(str(out))
    for pid in orphans:  # leave no load behind for the next trial
        os.kill(pid, signal.SIGKILL)
    bad_exit = kind != "SIGKILL" and not hang and (
        process.returncode != 130 or stderr != INTERRUPTED + "\n")
    return {"hang": hang, "orphan": bool(orphans), "lost": digest(out / "base") != good,
            "bad exit": bad_exit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=50, help="trials of each kind")
    parser.add_argument("--timeout", type=float, default=20.0,
                        help="seconds after the signals before a run counts as hung")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)
    kinds = ["Ctrl-C x2", "Ctrl-C + SIGTERM", "SIGKILL"]
    counts = {kind: {"trials": 0, "hang": 0, "orphan": 0, "lost": 0, "bad exit": 0}
              for kind in kinds}
    with tempfile.TemporaryDirectory(prefix="simrev-stress-") as tmp:
        out = Path(tmp) / "out"
        subprocess.run(run_command(out, 50), check=True)
        good = digest(out / "base")
        started = time.monotonic()
        for number in range(args.times):
            for kind in kinds:
                found = trial(kind, out, good, args.timeout)
                counts[kind]["trials"] += 1
                for problem, happened in found.items():
                    counts[kind][problem] += happened
                if digest(out / "base") != good:  # start the next trial from good results
                    shutil.rmtree(out, ignore_errors=True)
                    subprocess.run(run_command(out, 50), check=True)
                    good = digest(out / "base")
            print(f"\r{number + 1}/{args.times} rounds, {time.monotonic() - started:.0f} s",
                  end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    columns = ["trials", "hang", "orphan", "lost", "bad exit"]
    print(f"{'':18}" + "".join(f"{c:>10}" for c in columns))
    for kind in kinds:
        print(f"{kind:18}" + "".join(f"{counts[kind][c]:>10}" for c in columns))


if __name__ == "__main__":
    main()
