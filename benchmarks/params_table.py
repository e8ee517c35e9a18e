"""Issue 18's README table: operator x setting, from the JSON reports of ``benchmarks/params.py``.

    python benchmarks/params_table.py REPORT.json [REPORT.json ...]

Each report holds one or more operators (``params.py --json``); the table has one row per operator and
judged setting: approximation, identity, restored after PNG and after JPEG-90 (mean / worst photo, dB),
the network judged, and the bars missed (on the means; on the worst photo). A last column gives, at the
defaults, what the network loses against the unconditioned one (``--versus``), where the report has it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from restorable.operators.registry import OPERATORS

KEYS = ("approx_psnr", "identity_psnr", "restore_png_psnr", "restore_jpeg90_psnr")


def rows(report: dict) -> list[str]:
    """Markdown rows of one report."""
    out = []
    for op, entry in report.items():
        weights = Path(entry["weights"]).stem
        for label, row in entry["settings"].items():
            followed = OPERATORS[op].conditioned
            shown = ", ".join(f"{k}={v:g}" for k, v in row["params"].items() if k in followed and (label == "default" or k == label.split()[0]))
            cells = " | ".join(f"{row['mean'][k]:.2f} / {row['worst'][k]:.2f}" for k in KEYS)
            missed = " / ".join(", ".join(m) or "-" for m in (row["missed_mean"], row["missed_worst"]))
            loss = ""
            if label == "default" and "versus" in entry and weights != f"{op}-v{entry['versus']['version']}":
                v = entry["versus"]
                loss = f"v{v['version']}: " + ", ".join(f"{d:+.2f}" for d in v["loss"].values())
            out.append(f"| {op} | {label} ({shown}) | {weights} | {cells} | {missed} | {loss} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path)
    args = parser.parse_args()
    print("| operator | setting | network | approximation | identity | restored after PNG | after JPEG-90 "
          "| bars missed (means / worst photo) | lost at the default (approx, PNG, JPEG-90) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in args.reports:
        for line in rows(json.loads(path.read_text())):
            print(line)


if __name__ == "__main__":
    main()
