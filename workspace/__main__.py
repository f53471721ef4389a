"""`python -m workspace {claim,clean}`: the Makefile's way to make and remove only its own folders."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from workspace.owned import NotOwnedError, claim, is_owned, refuse_inside, remove


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workspace", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    claim_command = commands.add_parser("claim", help="make FOLDER with its marker, or empty it if it has one")
    claim_command.add_argument("folder", type=Path)
    claim_command.add_argument("--owner", required=True, help="the command that owns it, e.g. 'make demo'")
    claim_command.add_argument(
        "--refuse-inside", type=Path, metavar="PATH", help="stop if PATH (a user's input) lies inside FOLDER"
    )
    clean = commands.add_parser("clean", help="delete each FOLDER that carries the marker; leave others, saying so")
    clean.add_argument("folders", type=Path, nargs="+")
    args = parser.parse_args(argv)
    try:
        if args.command == "claim":
            if args.refuse_inside is not None:
                refuse_inside(args.refuse_inside, args.folder, f"the folder {args.owner} empties before it starts")
            claim(args.folder, args.owner)
            return 0
        for folder in args.folders:
            if folder.exists() and not is_owned(folder):
                print(f"kept {folder}: no command of this project made it", file=sys.stderr)
            elif remove(folder):
                print(f"removed {folder}")
        return 0
    except NotOwnedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
