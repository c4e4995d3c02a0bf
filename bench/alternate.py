#!/usr/bin/env python3
"""Times commands in alternation and writes hyperfine's JSON format.

    alternate.py --export FILE [--runs N] [--warmup N] [--prepare CMD] -- NAME CMD [NAME CMD ...]

hyperfine runs all of one command's runs, then all of the next one's, so a
change on the machine (another job starting, writeback of what an earlier
command wrote, the page cache filling up) lands on whichever command was
running at the time. Here each round runs every command once, starting one
further along the list each round, so such changes weigh on all of them
alike. Each run is `bash -c CMD` after `bash -c PREPARE`; the wall time is
measured around it, and user and system time come from wait4, which counts
the command's whole process tree. The first WARMUP rounds are not kept.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def run_once(command):
    """(wall seconds, user seconds, system seconds) of one run; exits if the command fails."""
    start = time.perf_counter()
    process = subprocess.Popen(["bash", "-c", command], stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"alternate.py: command failed with exit {process.returncode}: {command}")
    return wall, usage.ru_utime, usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--export", required=True, help="where to write the JSON")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="rounds run first and not kept (default 1)")
    parser.add_argument("--prepare", default="", help="run before every run, not timed")
    parser.add_argument("pairs", nargs="+", help="NAME COMMAND pairs, after --")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("commands come as NAME COMMAND pairs")
    pairs = list(zip(args.pairs[0::2], args.pairs[1::2]))
    samples = {name: [] for name, _ in pairs}

    for round_index in range(args.warmup + args.runs):
        kept = round_index >= args.warmup
        label = f"round {round_index + 1 - args.warmup}/{args.runs}" if kept else "warm-up"
        for offset in range(len(pairs)):
            name, command = pairs[(round_index + offset) % len(pairs)]
            if args.prepare:
                subprocess.run(["bash", "-c", args.prepare], check=True)
            wall, user, system = run_once(command)
            print(f"{label}: {name}: {wall:.3f} s (user {user:.3f} s, system {system:.3f} s)", file=sys.stderr)
            if kept:
                samples[name].append((wall, user, system))

    results = []
    for name, command in pairs:
        times = [wall for wall, _, _ in samples[name]]
        results.append({
            "command": name,
            "mean": statistics.mean(times),
            "stddev": statistics.stdev(times) if len(times) > 1 else 0.0,
            "median": statistics.median(times),
            "user": statistics.mean(user for _, user, _ in samples[name]),
            "system": statistics.mean(system for _, _, system in samples[name]),
            "min": min(times),
            "max": max(times),
            "times": times,
        })
    with open(args.export, "w") as handle:
        json.dump({"results": results}, handle, indent=2)

    ordered = sorted(results, key=lambda result: result["median"])
    print("medians: " + ", ".join(f"{result['command']} {result['median']:.3f} s" for result in ordered), file=sys.stderr)


if __name__ == "__main__":
    main()
