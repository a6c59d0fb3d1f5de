"""Compare two runs of the suite, cell by cell:

    python -m conformance.diff OLD NEW                      # results.json files or report folders
    python -m conformance.diff OLD NEW --format markdown >> "$GITHUB_STEP_SUMMARY"
    python -m conformance.diff OLD NEW --fail-on-regression --level should

lists regressions, fixes, other outcome and level changes, flaky cells, new and
removed scenarios and columns, and the reference client's cells apart
(conformance/report/diff.py says how cells are matched). The exit status is 0,
or 1 with --fail-on-regression when a regression is at --level or above
(default must); 2 when a file is not a results.json."""

import argparse
import sys

from .errors import ConformanceError
from .report.diff import LEVEL_RANK, compare, load, regressions_at
from .report.diff_render import RENDERERS


def main(argv: "list[str] | None" = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.diff", description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the earlier results.json, or its report folder")
    parser.add_argument("new", help="the later results.json, or its report folder")
    parser.add_argument("--format", choices=tuple(RENDERERS), default="text")
    parser.add_argument("--level", choices=tuple(sorted(LEVEL_RANK, key=LEVEL_RANK.get, reverse=True)),
                        default="must", help="the weakest level whose regressions count (default must)")
    parser.add_argument("--fail-on-regression", action="store_true",
                        help="exit 1 when a regression is at --level or above")
    parser.add_argument("--max-rows", type=int, default=25,
                        help="rows per table in text and markdown (0: all; json always lists all)")
    args = parser.parse_args(argv)
    try:
        report = compare(load(args.old), load(args.new))
    except ConformanceError as exc:
        print(f"conformance.diff: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(RENDERERS[args.format](report, args.old, args.new, level=args.level, max_rows=args.max_rows))
    return 1 if args.fail_on_regression and regressions_at(report, args.level) else 0


if __name__ == "__main__":
    sys.exit(main())
