"""``rlvr recipes``: the shipped recipe names, one a line (use one with ``rlvr train recipe=NAME``);
``rlvr recipes --keys``: the table of recipe keys and where each goes on each backend (README's copy)."""

from __future__ import annotations

import sys

from rlvr.errors import EXIT_USER_ERROR
from rlvr.recipe.compose import list_recipes

USAGE = """usage: rlvr recipes          the shipped recipes, one name a line
       rlvr recipes --keys   every recipe key: default, verl's key(s), the local loop's setting (Markdown)"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if argv == ["--keys"]:
        from rlvr.recipe.routing import markdown_table

        print(markdown_table())
        return 0
    if argv:
        print(f"rlvr recipes: error: unknown argument(s) {' '.join(argv)}\n{USAGE}", file=sys.stderr)
        return EXIT_USER_ERROR
    print("\n".join(list_recipes()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
