"""Command line: `python -m infra exports --stack NAME [--region R] [--profile P]`.

Prints the stack's outputs as `export NAME='value'` lines, for `eval "$(python -m infra exports
--stack NAME)"`. A problem is one line on stderr starting `error: `, exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from infra.outputs import InfraError, export_lines, stack_environment


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m infra", description=__doc__.split("\n\n")[0])
    commands = root.add_subparsers(dest="command", required=True)
    exports = commands.add_parser(
        "exports",
        help="print the stack's outputs as shell export lines",
        description='Print export lines for eval "$(python -m infra exports --stack NAME)".',
    )
    exports.add_argument("--stack", required=True, help="CloudFormation stack name (or id)")
    exports.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
    exports.add_argument("--profile", default=os.environ.get("AWS_PROFILE"), help="AWS profile (default: AWS_PROFILE)")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        environment = stack_environment(args.stack, region=args.region, profile=args.profile)
    except InfraError as error:
        print(f"error: {error}.", file=sys.stderr)
        return 2
    print("\n".join(export_lines(environment)))
    return 0
