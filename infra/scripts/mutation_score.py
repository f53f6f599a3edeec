"""The mutation score of the last `mutmut run`, per file and in total, from mutants/**/*.meta.

Killed / reached, where reached is every mutant some test runs (mutmut's "no tests" are not
reached). Exits 1 when the score is below ``--min`` percent."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=None, help="wall time of the run, to print")
    parser.add_argument("--min", type=float, default=0.0, help="lowest acceptable score, in percent")
    args = parser.parse_args()
    by_file: dict[str, Counter[str]] = {}
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        if codes:
            name = str(meta.relative_to("mutants")).removesuffix(".meta")
            by_file[name] = Counter(status_by_exit_code[c] for c in codes.values())
    if not by_file:
        print("no mutation results in mutants/: run `make mutate`", file=sys.stderr)
        return 1
    total: Counter[str] = sum(by_file.values(), Counter())
    print(f"{'file':<36} {'mutants':>7} {'killed':>6} {'survived':>8} {'no tests':>8} {'score':>6}")
    for name, c in [*by_file.items(), ("total", total)]:
        n = c.total()
        reached = n - c["no tests"]
        shown = f"{100 * c['killed'] / reached:.1f}%" if reached else "-"
        print(f"{name:<36} {n:>7} {c['killed']:>6} {c['survived']:>8} {c['no tests']:>8} {shown:>6}")
    other = {k: v for k, v in total.items() if k not in ("killed", "survived", "no tests")}
    if other:
        print("also: " + ", ".join(f"{v} {k}" for k, v in sorted(other.items())))
    reached = total.total() - total["no tests"]
    score = 100 * total["killed"] / reached if reached else 0.0
    took = f" in {args.seconds // 60} min {args.seconds % 60} s" if args.seconds is not None else ""
    print(f"killed {total['killed']} of the {reached} mutants a test reaches = {score:.1f}%{took}")
    if score < args.min:
        print(f"below the required {args.min:g}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
