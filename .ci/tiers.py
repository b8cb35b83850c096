"""Summarise a pytest JUnit report per test tier, and the Odoo tier's fate."""

import sys
import xml.etree.ElementTree as ET
from collections import Counter

TIERS = ("unit", "integration", "odoo")


def main(report):
    counts = {tier: Counter() for tier in TIERS}
    odoo_skips = Counter()
    for case in ET.parse(report).iter("testcase"):
        tier = next((t for t in TIERS if f"{t}." in case.get("classname", "")), None)
        if tier is None:
            continue
        outcome = next(
            (
                child.tag
                for child in case
                if child.tag in ("failure", "error", "skipped")
            ),
            "passed",
        )
        counts[tier][outcome] += 1
        if tier == "odoo" and outcome == "skipped":
            odoo_skips[case.find("skipped").get("message", "")] += 1
    for tier in TIERS:
        c = counts[tier]
        print(
            f"{tier}: {c['passed']} passed, {c['failure'] + c['error']} failed, "
            f"{c['skipped']} skipped"
        )
    if counts["odoo"]["passed"] or counts["odoo"]["failure"] or counts["odoo"]["error"]:
        print("Odoo tier: ran")
    else:
        reasons = "; ".join(odoo_skips) or "no Odoo test collected"
        print(f"Odoo tier: did not run ({reasons})")


if __name__ == "__main__":
    main(sys.argv[1])
