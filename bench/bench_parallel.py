"""Work shared with forked processes: `python bench/bench_parallel.py [--items 400] [--runs 5]`.

This process reads what workers send on a thread that runs only between its own computations
(every few milliseconds while it holds the interpreter). A worker sending many results, or large
ones, should not wait for each to be read: it sends them in batches, through a pipe that holds
many. So while this process computes, a worker with nothing to compute does most of the items.
This measures that share, and how long the work took, over a few runs; it says which runs fall
short of half, which on a busy machine some may.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# The package is imported from this checkout, not from an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explainer.parallel import map_forked  # noqa: E402

COMPUTING = 0.002  # seconds this process holds the interpreter for each of its items
RESULT_BYTES = 20_000  # the size of each result a worker sends back, as a rendered page might be


def run_once(items: int) -> tuple[float, float]:
    """The share of the items workers did, and the seconds the whole work took, for one run on two processes."""
    parent = os.getpid()

    def work(item: int) -> str:
        if os.getpid() == parent:
            started = time.perf_counter()
            while time.perf_counter() - started < COMPUTING:
                pass
            return ""
        return "x" * RESULT_BYTES

    started = time.perf_counter()
    results = list(map_forked(work, list(range(items)), workers=2))
    seconds = time.perf_counter() - started
    return sum(result != "" for result in results) / items, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=400, help="items per run (default: 400)")
    parser.add_argument("--runs", type=int, default=5, help="runs (default: 5)")
    args = parser.parse_args()
    if (os.cpu_count() or 1) < 2:
        print("one core: a worker has no core of its own to keep pace, nothing to measure")
        return
    print(f"{args.items} items, this process computing {COMPUTING * 1000:.0f} ms each, "
          f"workers sending {RESULT_BYTES:,} bytes each")
    for run in range(1, args.runs + 1):
        share, seconds = run_once(args.items)
        verdict = "" if share > 0.5 else "   (under half: the worker waited, or the machine is busy)"
        print(f"  run {run}: workers did {share:6.1%} of the items in {seconds:.2f} s{verdict}")


if __name__ == "__main__":
    main()
