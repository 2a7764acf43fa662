"""`costpanel import` of Claude Code logs as a fresh process, beside ccusage 20.0.24 run three ways.

Generates a realistic Claude config dir (tests/corpora/claude_code.py) of ~57k lines, then times, as
fresh processes on the same files (best of --reps, each import into a new ledger, the tools taking
turns so that a slow moment of the machine falls on all of them):
- ``costpanel import DIR --db LEDGER`` (start-up, catalog load, reading, pricing and the ledger writes);
- ``ccusage daily --json --offline`` three ways, each against the target:
  - ``npx``: ``npx ccusage daily``, as ccusage's README runs it (the package already in npm's
    cache: no download timed). The issue's own figure for ccusage here (~1.0 s, ~90 MB) matches
    this one (0.7-1.1 s, 74-101 MB), not the binary alone (~0.3 s, ~67 MB);
  - ``command``: ``node_modules/.bin/ccusage``, the command ``npm install ccusage`` gives (a Node
    launcher that starts the Rust binary), as a user runs it without npx;
  - ``binary``: the ``@ccusage/ccusage-linux-x64`` Rust binary alone, which no user starts by
    hand (it sits inside node_modules): the strictest reference;
and then ``costpanel import`` alone on ~1,000,000 lines. Wall time from spawn to exit; peak memory
is the child's own maximum RSS (``os.wait4``; a launcher's includes the binary it waited for). Also
the reader alone, in this process (lines/s).

Targets (issue 11): costpanel at most ccusage's time on the same files (a check line against each
of the three); 1M lines in <= 10 s; peak memory <= 200 MB.
Run: python bench/import.py [--lines 57000] [--big-lines 1000000] [--ccusage DIR] [--no-big]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import check, header

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]  # this checkout, parent and children alike

from corpora.claude_code import write_corpus  # noqa: E402

from costpanel.integrations import claude_code  # noqa: E402

CCUSAGE = "ccusage@20.0.24"
NATIVE = Path("node_modules/@ccusage/ccusage-linux-x64/bin/ccusage")
LAUNCHER_BIN = Path("node_modules/.bin/ccusage")
CCUSAGE_ARGS = ["daily", "--json", "--offline"]


# Times one command and reports its own peak RSS. Run in a small fresh Python: Linux carries the
# peak RSS of the process that forks (or vforks: posix_spawn) a child across exec into the child's
# ru_maxrss, so a child spawned straight from this (large) process would report our size, not its own.
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execve(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds from fork to exit, peak RSS in MB, exit status) of one fresh process."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], env=env, capture_output=True, text=True,
                          check=True)
    wall, rss_kb, code = done.stdout.split()
    if int(code):
        sys.stderr.write(f"{' '.join(cmd[:4])} exited {code}: {done.stderr[:500]}\n")
    return float(wall), int(rss_kb) / 1024, int(code)


def best(cmd: list[str], reps: int, env: dict[str, str],
         before: Callable[[], None] | None = None) -> tuple[float, float, int]:
    """Best wall time of ``reps`` runs (the machine's noise only ever adds), with that run's memory."""
    results = []
    for _ in range(reps):
        if before is not None:
            before()
        results.append(run(cmd, env))
    return min(results)


def ccusage_install(given: str | None, work: Path) -> Path | None:
    """The folder ``npm install ccusage@20.0.24`` was run in (``given``, else installed into ``work``)."""
    if given:
        return Path(given)
    target = work / "ccusage"
    try:
        subprocess.run(["npm", "install", "--prefix", str(target), "--no-audit", "--no-fund", "--loglevel=error",
                        CCUSAGE], check=True, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"# {CCUSAGE} not installed ({exc}): costpanel alone", file=sys.stderr)
        return None
    (target / NATIVE).chmod(0o755)  # npm leaves the optional dependency's binary without its x bit
    return target


def ccusage_commands(install: Path) -> dict[str, list[str]]:
    """The three ways of running ccusage timed (see the module's docstring), by name."""
    commands = {"npx": [shutil.which("npx") or "npx", "--offline", "--prefix", str(install), "ccusage", *CCUSAGE_ARGS],
                "command": [str(install / LAUNCHER_BIN), *CCUSAGE_ARGS],
                "binary": [str(install / NATIVE), *CCUSAGE_ARGS]}
    node = shutil.which("node")
    if node is None:  # the launcher's #!/usr/bin/env node finds none: the binary alone can still be timed
        print("# node not found: ccusage's npx and command runs skipped", file=sys.stderr)
        return {"binary": commands["binary"]}
    return commands


def reader_rate(root: Path) -> tuple[int, float]:
    """Lines per second of the Claude Code reader alone on the files under ``root`` (in this process)."""
    files = [(path, path.read_bytes().split(b"\n")[:-1]) for path in claude_code.find_files(root)]
    lines = sum(len(chunk) for _, chunk in files)
    fastest = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for path, chunk in files:
            claude_code.Reader(path).read_lines(chunk)
        fastest = min(fastest, time.perf_counter() - start)
    return lines, lines / fastest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=57_000)
    parser.add_argument("--big-lines", type=int, default=1_000_000)
    parser.add_argument("--no-big", action="store_true", help="skip the 1M-line run")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--ccusage", default=None, metavar="DIR",
                        help="a folder where `npm install ccusage@20.0.24` was run (default: installed into a temporary one)")
    args = parser.parse_args()
    header("costpanel import (Claude Code logs) vs ccusage 20.0.24")

    work = Path(tempfile.mkdtemp(prefix="costpanel-import-bench-"))
    try:
        corpus = work / "claude"
        truth = write_corpus(corpus, seed=1, lines=args.lines)
        n = sum(truth.lines.values())
        print(f"corpus: {n:,} lines, {truth.bytes / 1e6:.1f} MB, {len(truth.files)} files, {len(truth.calls):,} calls")
        lines, rate = reader_rate(corpus)
        print(f"reader alone: {rate:,.0f} lines/s ({lines / rate:.3f} s for {lines:,} lines)")

        home = work / "home"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "CLAUDE_CONFIG_DIR": str(corpus),
               "COSTPANEL_CACHE_DIR": str(work / "cache"), "PYTHONPATH": str(ROOT / "src")}
        env.pop("COSTPANEL_DB", None)
        # As installed: bytecode compiled once (pip does it at install time), not at every start
        # (~0.1 s here where the environment says PYTHONDONTWRITEBYTECODE); kept out of the checkout.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        ledger = work / "ledger.sqlite3"

        def fresh_ledger() -> None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{ledger}{suffix}").unlink(missing_ok=True)

        cmd = [sys.executable, "-m", "costpanel", "import", str(corpus), "--db", str(ledger)]
        cold, cold_mb, _ = run(cmd, env)  # also fills the compiled-catalog cache a user's next run finds
        print(f"costpanel import, first run (catalog compiled): {cold:.3f} s, peak {cold_mb:.0f} MB")
        ours, ours_mb, status = best(cmd, args.reps, env, fresh_ledger)
        print(f"costpanel import: {ours:.3f} s, peak {ours_mb:.0f} MB (exit {status})")
        ok = status == 0  # a failed import proves nothing about speed

        install = ccusage_install(args.ccusage, work)
        if install is not None:
            commands = ccusage_commands(install)
            for name, command in commands.items():  # once untimed: npm's and the OS's caches warm
                run(command, env)
            # Taking turns: costpanel, then each ccusage, rep after rep.
            runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in ["costpanel", *commands]}
            for _ in range(args.reps):
                fresh_ledger()
                runs["costpanel"].append(run(cmd, env))
                for name, command in commands.items():
                    runs[name].append(run(command, env))
            ours, ours_mb, status = min(runs["costpanel"])
            ok = ok and status == 0
            print(f"costpanel import, taking turns with ccusage: {ours:.3f} s, peak {ours_mb:.0f} MB (exit {status})")
            for name, command in commands.items():
                theirs, theirs_mb, code = min(runs[name])
                shown = " ".join(Path(part).name if i == 0 else part for i, part in enumerate(command)).replace(
                    f"--prefix {install} ", "")
                print(f"ccusage 20.0.24, {name} ({shown}): {theirs:.3f} s, peak {theirs_mb:.0f} MB (exit {code}); "
                      f"ratio costpanel/ccusage {ours / theirs:.2f}x time, {ours_mb / theirs_mb:.2f}x memory")
            for name in commands:
                print(check(f"costpanel at most ccusage's time ({name})", ok and ours <= min(runs[name])[0]))
        print(check(f"{n:,} lines in <= 1 s", ok and ours <= 1.0))
        print(check("peak memory <= 200 MB", ok and ours_mb <= 200))

        if not args.no_big:
            shutil.rmtree(corpus)
            big = write_corpus(corpus, seed=2, lines=args.big_lines)
            n = sum(big.lines.values())
            print(f"big corpus: {n:,} lines, {big.bytes / 1e6:.0f} MB, {len(big.files)} files, "
                  f"{len(big.calls):,} calls")
            fresh_ledger()
            wall, mb, status = run(cmd, env)
            print(f"costpanel import: {wall:.2f} s ({n / wall:,.0f} lines/s), peak {mb:.0f} MB (exit {status})")
            print(check(f"{n:,} lines in <= 10 s", status == 0 and wall <= 10))
            print(check("peak memory <= 200 MB", status == 0 and mb <= 200))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
