"""Summarise a pytest JUnit report per test tier, and the Odoo tier per series.

Exits 1 when no Odoo-tier test passed: CI never passes without that tier.
"""

import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

TIERS = ("unit", "integration", "odoo")
# The harness names each Odoo-tier test after its tree: test_x[odoo-18.0].
SERIES = re.compile(r"\bodoo-(\d+\.\d+|unusable)\b")


def outcome(case):
    return next(
        (child.tag for child in case if child.tag in ("failure", "error", "skipped")),
        "passed",
    )


def line(name, counts):
    failed = counts["failure"] + counts["error"]
    return (
        f"{name}: {counts['passed']} passed, {failed} failed, "
        f"{counts['skipped']} skipped"
    )


def main(report):
    tiers = {tier: Counter() for tier in TIERS}
    series = defaultdict(Counter)
    for case in ET.parse(report).iter("testcase"):
        tier = next((t for t in TIERS if f"{t}." in case.get("classname", "")), None)
        if tier is None:
            continue
        result = outcome(case)
        tiers[tier][result] += 1
        if tier == "odoo" and (found := SERIES.search(case.get("name", ""))):
            series[found[1]][result] += 1
    for tier in TIERS:
        print(line(tier, tiers[tier]))
    for name in sorted(series):
        print(line(f"Odoo {name} tier", series[name]))
    ran = [name for name in series if name != "unusable" and series[name]["passed"]]
    if not ran:
        print("Odoo tier: did not run")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
