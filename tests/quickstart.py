"""The README's quickstart: the first code block of README.md, exactly two commands after cloning.

Stdlib only, because `.ci/run` reads it before anything is installed:

    python3 tests/quickstart.py 1      # prints the first command (install and `cstbot demo`)
    python3 tests/quickstart.py 2      # prints the second (the test command)

`tests/test_quickstart.py` checks the block's shape and runs both commands' cheap parts; `.ci/run` runs the first
command as written, in a fresh copy of the checkout, and the second one's collection there.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^```(?:sh|bash|console)?\n(.*?)^```", re.M | re.S)


def commands(text: str | None = None) -> list[str]:
    """The commands of the README's first code block, one per line (comments and blank lines dropped)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    found = _BLOCK.search(text)
    if found is None:
        return []
    lines = [line.split("  #", 1)[0].strip() for line in found.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def main(argv: list[str]) -> int:
    found = commands()
    if len(argv) != 1 or not argv[0].isdigit() or not 1 <= int(argv[0]) <= len(found):
        print(f"usage: python3 tests/quickstart.py 1..{len(found)}", file=sys.stderr)
        return 2
    print(found[int(argv[0]) - 1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
