"""Run the book's training studies into the archive (results/), outside the book's build.

    python scripts/experiments.py                      # every study: pilots, then main runs
    python scripts/experiments.py --study adding       # one study
    python scripts/experiments.py --study adding --part pilot --slice 0:10
    python scripts/experiments.py --status             # declared, stored, missing, stale

Resumable: a run already stored is not run again, and an interrupted run starts over. Runs
one process per core, one thread each (``--workers``), or on a Dask or Ray cluster
(``--backend dask`` with ``--scheduler ADDRESS``). A progress bar counts the runs and
estimates the time left; at the end each study's wall time is printed.
"""

from __future__ import annotations

import argparse
import sys
import time

from rnngrad import experiments


def _slice(text: str) -> tuple[int, int | None]:
    start, _, stop = text.partition(":")
    return int(start or 0), int(stop) if stop else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--study",
        action="append",
        choices=sorted(experiments.STUDIES),
        help="a study to run (repeat for several; default: all)",
    )
    parser.add_argument("--part", choices=("pilot", "main", "all"), default="all")
    parser.add_argument(
        "--slice",
        type=_slice,
        default=(0, None),
        metavar="START:STOP",
        help="only these of the runs still missing",
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--backend", choices=("auto", "serial", "processes", "dask", "ray"), default="auto"
    )
    parser.add_argument("--scheduler", default=None, help="a Dask scheduler's address")
    parser.add_argument("--status", action="store_true", help="report and run nothing")
    parser.add_argument(
        "--specimens",
        action="store_true",
        help="only save the studies' specimens (runs kept whole for the chapters)",
    )
    parser.add_argument(
        "--prune-stale",
        action="store_true",
        help="before a study's main runs, remove its records that no spec declares any more "
        "(after a pilot chose another learning rate; git keeps them)",
    )
    args = parser.parse_args(argv)  # fmt: skip
    names = args.study or list(experiments.STUDIES)
    client = None
    if args.backend == "dask":
        from distributed import Client

        client = Client(args.scheduler) if args.scheduler else Client(threads_per_worker=1)
    try:
        for name in names:
            study = experiments.STUDIES[name]
            if args.specimens:
                if study.specimens:
                    lrs = experiments.choose_lrs(study, experiments.read(study.pilot_name))
                    for line in experiments.specimens.make(study, lrs):
                        print(f"{name} specimen: {line}")
                continue
            if not args.status:
                parts = ("pilot", "main") if args.part == "all" else (args.part,)
                for part in parts:
                    begun = time.perf_counter()
                    if part == "main" and args.prune_stale:
                        gone = experiments.archive.prune_stale(study)
                        print(f"{name}: {gone} stale records removed")
                    ran = 0
                    try:
                        while True:  # a pilot's widened grid asks for more runs once these end
                            more = experiments.run_study(study, part, start=args.slice[0],
                                                         stop=args.slice[1], workers=args.workers,
                                                         backend=args.backend)  # fmt: skip
                            ran += more
                            if part != "pilot" or not more:
                                break
                    except ValueError as err:  # the main part before its pilot is complete
                        print(f"{name} {part}: {err}")
                        continue
                    wall = time.perf_counter() - begun
                    print(f"{name} {part}: {ran} runs in {wall / 60:.1f} min")
            for s in experiments.status(study):
                print(f"{name:>10} {s.part:>5}: {s.declared} declared, {s.stored} stored, "
                      f"{s.missing} to run, {s.stale} stale")  # fmt: skip
    finally:
        if client is not None:
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
