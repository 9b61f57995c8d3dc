"""``rlvr recipes``: the shipped recipe names, one a line (use one with ``rlvr train recipe=NAME``)."""

from __future__ import annotations

import sys

from rlvr.recipe.compose import list_recipes


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv:
        print("usage: rlvr recipes   (lists the shipped recipes, one name a line)", file=sys.stderr)
        return 0 if argv[0] in ("-h", "--help") else 2
    print("\n".join(list_recipes()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
