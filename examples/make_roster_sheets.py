"""Generate the CSV and XLSX forms of the example roster from examples/roster.yaml.

    python examples/make_roster_sheets.py            # writes examples/roster/*.csv and examples/roster.xlsx
    python examples/make_roster_sheets.py --check    # exit 1 if the committed files are out of date

The YAML is read and validated by the importer itself, so the sheets always hold the same roster.
The workbook is written with fixed timestamps: regenerating an unchanged roster gives identical bytes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from store.roster import read_roster, write_csv, write_xlsx

HERE = Path(__file__).resolve().parent
YAML = HERE / "roster.yaml"
CSV_DIR = HERE / "roster"
XLSX = HERE / "roster.xlsx"


def generate(yaml_path: Path, csv_dir: Path, xlsx_path: Path) -> list[Path]:
    roster = read_roster(yaml_path)
    return [*write_csv(roster, csv_dir), write_xlsx(roster, xlsx_path)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = parser.parse_args(argv)
    if not args.check:
        for path in generate(YAML, CSV_DIR, XLSX):
            print(f"wrote {path.relative_to(HERE.parent)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(YAML, Path(tmp) / "roster", Path(tmp) / "roster.xlsx")
        stale = [
            name
            for path in fresh
            if not (HERE / (name := str(path.relative_to(tmp)))).is_file()
            or (HERE / name).read_bytes() != path.read_bytes()
        ]
    for name in stale:
        print(f"out of date: examples/{name}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
