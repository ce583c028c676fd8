#!/usr/bin/env python3
"""Tests of the front door's `./workbook check` (run by CTest; see exercises/CMakeLists.txt).

Each runs the real script with WORKBOOK_CHECK_BUILT pointing at a prepared build folder, so that it
installs, configures and builds nothing, and compares what it prints, line by line.

  outcomes  exercise programs that end each way check reports: a solution's tests (done), and the
            reporter's sample exercise (support/reporter_sample.cpp) run on one outcome's test cases
            (not started, failing, crashed, timed out); and an exercise whose program is not built
  stubs     the shipped stubs' programs, as built with WORKBOOK_CHECK_STUBS: every exercise is
            "not started", with a TODO of its own stub

Prints what it checked; a failure prints every difference and exits 1.
"""

import argparse
import os
import re
import shutil
import stat
import subprocess
import sys


def prepare(scratch):
    """An empty build folder, DIR/bin, for WORKBOOK_CHECK_BUILT."""
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(os.path.join(scratch, "bin"))
    return scratch


def sample_program(scratch, folder, sample, cases, time_limit=None):
    """bin/exercise_<folder>: the reporter's sample exercise, running only the test cases `cases`."""
    path = os.path.join(scratch, "bin", f"exercise_{folder}")
    limit = f"export WORKBOOK_CHECK_TIME_LIMIT={time_limit}\n" if time_limit else ""
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"#!/bin/sh\n{limit}exec '{sample}' \"$@\" '-tc={cases}'\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


def run_check(workbook, scratch, folders):
    env = dict(os.environ, WORKBOOK_CHECK_BUILT=scratch)
    env.pop("WORKBOOK_CHECK_TIME_LIMIT", None)
    return subprocess.run([workbook, "check", *folders], env=env, capture_output=True, text=True, timeout=600)


def compare(run, expected_lines, expected_status):
    problems = []
    got = run.stdout.splitlines()
    if run.returncode != expected_status:
        problems.append(f"exit status {run.returncode}, expected {expected_status}")
    if run.stderr:
        problems.append(f"something on stderr (check should set up nothing): {run.stderr!r}")
    for number in range(max(len(got), len(expected_lines))):
        want = expected_lines[number] if number < len(expected_lines) else "(nothing)"
        seen = got[number] if number < len(got) else "(nothing)"
        matches = want.match(seen) if isinstance(want, re.Pattern) else want == seen
        if not matches:
            problems.append(f"line {number + 1}: expected {getattr(want, 'pattern', want)!r}, got {seen!r}")
    return problems


def pad(folder):
    return f"  {folder:<18} "


def check_outcomes(args):
    scratch = prepare(args.scratch)
    os.symlink(args.done, os.path.join(scratch, "bin", "exercise_01_serial"))
    sample_program(scratch, "02_processes", args.sample, "*that passes,*check fails")
    sample_program(scratch, "03_pools", args.sample, "*that passes,*crashes")
    # A 1-second time limit and a test case that never ends: the watchdog's report is the point.
    sample_program(scratch, "04_threads", args.sample, "*that passes,*blocks forever", time_limit=1)
    sample_program(scratch, "05_feed_counter", args.sample, "*reaches its TODO")
    # No bin/exercise_06_trampoline: an exercise the prepared folder has not built.
    run = run_check(args.workbook, scratch, ["1", "2", "3", "4", "5", "6"])
    # The script names its files from the checkout's root when they are inside it.
    root = os.path.dirname(os.path.abspath(args.workbook))
    shown = os.path.relpath(scratch, root) if scratch.startswith(root + os.sep) else scratch
    output = os.path.join(shown, "exercises")
    expected = [
        pad("01_serial") + "done",
        pad("02_processes") + "failing: 1 of 2 test cases pass; the first that fails:",
        '      "sample: a test case whose check fails"',
        '      exercises/support/reporter_sample.cpp:26: CHECK( seen == "abc" ) is NOT correct!',
        "      values: CHECK( ab == abc )",
        "      logged: seen is what the code under test saw",
        f"      (whole output: {output}/02_processes.output)",
        pad("03_pools") + "crashed: SIGSEGV (invalid memory access) in test case",
        '      "sample: a test case that crashes"',
        f"      (whole output: {output}/03_pools.output)",
        pad("04_threads") + "timed out: a test case still ran after 1 second (a deadlock? a loop that never ends?)",
        '      "sample: a test case that blocks forever"',
        f"      (whole output: {output}/04_threads.output)",
        pad("05_feed_counter") + "not started: TODO: write sample()",
        pad("06_trampoline") + f"failing: not built: no program bin/exercise_06_trampoline in {shown} "
                               "(WORKBOOK_CHECK_BUILT)",
        "1/6 exercises done",
        "next: exercises/02_processes/README.md (stuck? ./workbook hint 02)",
    ]
    problems = compare(run, expected, 1)
    with open(os.path.join(scratch, "exercises", "03_pools.output"), encoding="utf-8", errors="replace") as f:
        if "sample: a test case that crashes" not in f.read():
            problems.append("exercises/03_pools.output lacks the crashed test case: not the program's whole output")

    bad = subprocess.run([args.workbook, "check"], env=dict(os.environ, WORKBOOK_CHECK_BUILT=scratch + "/none"),
                         capture_output=True, text=True, timeout=60)
    if bad.returncode != 2 or bad.stdout or len(bad.stderr.splitlines()) != 1 or "WORKBOOK_CHECK_BUILT" not in bad.stderr:
        problems.append(f"a WORKBOOK_CHECK_BUILT without bin/: expected exit status 2 and one line on stderr, "
                        f"got {bad.returncode}, {bad.stdout!r}, {bad.stderr!r}")
    report(problems, "./workbook check: done, failing, crashed, timed out, not started and not built, "
                     "each reported as the README shows; a bad WORKBOOK_CHECK_BUILT is a usage error")


def check_stubs(args):
    scratch = prepare(args.scratch)
    root = os.path.dirname(os.path.abspath(args.workbook))
    exercises = os.path.join(root, "exercises")
    folders = sorted(f for f in os.listdir(exercises) if re.match(r"^\d\d_", f))
    for folder in folders:
        os.symlink(os.path.join(args.bin, f"exercise_{folder}"), os.path.join(scratch, "bin", f"exercise_{folder}"))
    run = run_check(args.workbook, scratch, [])
    expected = [re.compile(re.escape(pad(f)) + rf"not started: TODO: exercise {f[:2]}: .+$") for f in folders]
    expected += [f"0/{len(folders)} exercises done", f"next: exercises/{folders[0]}/README.md (stuck? ./workbook hint {folders[0][:2]})"]
    problems = compare(run, expected, 1)
    # Each TODO is one its own stub writes.
    for line in run.stdout.splitlines():
        match = re.match(r"^  (\d\d_\S+)\s+not started: TODO: (.+)$", line)
        if not match:
            continue
        folder, todo = match.groups()
        sources = "".join(open(os.path.join(exercises, folder, name), encoding="utf-8").read()
                          for name in os.listdir(os.path.join(exercises, folder)) if name.endswith((".hpp", ".cpp")))
        if f'"{todo}"' not in sources:
            problems.append(f"{folder}: its TODO, {todo!r}, is not one its stub writes")
    report(problems, f"./workbook check: all {len(folders)} shipped stubs not started, each with a TODO of its own")


def report(problems, what):
    for problem in problems:
        print(f"FAIL: {problem}")
    if problems:
        print(f"{len(problems)} problem(s)")
        sys.exit(1)
    print(what)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbook", required=True, help="the front door script")
    parser.add_argument("--scratch", required=True, help="a folder the test may empty and fill")
    sub = parser.add_subparsers(dest="check", required=True)
    outcomes = sub.add_parser("outcomes")
    outcomes.add_argument("--sample", required=True, help="the reporter's sample exercise program")
    outcomes.add_argument("--done", required=True, help="a solution's test program, which passes")
    stubs = sub.add_parser("stubs")
    stubs.add_argument("--bin", required=True, help="where the stubs' exercise programs are built")
    args = parser.parse_args()
    args.scratch = os.path.abspath(args.scratch)
    if args.check == "stubs":
        args.bin = os.path.abspath(args.bin)
    {"outcomes": check_outcomes, "stubs": check_stubs}[args.check](args)


if __name__ == "__main__":
    main()
