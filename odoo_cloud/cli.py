"""``odoo-cloud``: the operator's command line."""

import argparse
import sys

from . import config


def check(args):
    """Print the effective configuration; exit 2 listing every bad variable."""
    effective, errors = config.parse()
    if errors:
        for line in errors:
            print(line, file=sys.stderr)
        return 2
    width = max(len(name) for name in effective.settings)
    group = None
    for setting in effective.settings.values():
        variable = setting.variable
        if variable.group != group:
            group = variable.group
            print(f"[{group}]")
        shown = variable.display(setting.value)
        print(f"  {variable.name:<{width}}  {shown}  ({setting.source})")
    return 0


def reference(args):
    """Print the configuration reference (the table in README.md)."""
    print(config.reference(), end="")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="odoo-cloud", description="Operate the Odoo cloud platform suite."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "check", help="print the effective configuration, exit 2 if any is invalid"
    ).set_defaults(run=check)
    commands.add_parser(
        "reference", help="print every variable, its default and meaning (Markdown)"
    ).set_defaults(run=reference)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
