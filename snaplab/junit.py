"""JUnit XML, the one format every CI dashboard reads: `snaplab grade` and the class gradebook.

One writer, so a step reads the same in a learner's report and in the class's: a failed
step is a <failure> carrying the hint, a step not reached yet is <skipped>.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from snaplab.status import FAIL, PENDING

TOTALS = ("tests", "failures", "errors", "skipped")  # what CI dashboards add up


def suites(name: str, members: Iterable[ET.Element]) -> ET.Element:
    """Many suites in one file, with their totals: a dashboard shows the class at a glance."""
    root = ET.Element("testsuites", name=name)
    root.extend(members)
    for key in TOTALS:
        root.set(key, str(sum(int(suite.get(key, 0)) for suite in root)))
    return root


def suite(properties: Iterable[tuple[str, object]], **attrs: str) -> ET.Element:
    """A <testsuite> with its <properties>; None is a value not known, written empty."""
    node = ET.Element("testsuite", attrs)
    props = ET.SubElement(node, "properties")
    for name, value in properties:
        ET.SubElement(props, "property", name=name, value="" if value is None else str(value))
    return node


def counts(statuses: list[str]) -> dict[str, str]:
    return {
        "tests": str(len(statuses)),
        "failures": str(sum(s == FAIL for s in statuses)),
        "skipped": str(sum(s == PENDING for s in statuses)),
    }


def case(
    parent: ET.Element,
    classname: str,
    name: str,
    status: str,
    message: str,
    hint: str,
    points: str | None = None,
) -> None:
    node = ET.SubElement(parent, "testcase", classname=classname, name=name)
    if points is not None:
        ET.SubElement(node, "properties").append(
            ET.Element("property", name="points", value=points)
        )
    if status == FAIL:
        ET.SubElement(node, "failure", message=message).text = hint
    elif status == PENDING:
        ET.SubElement(node, "skipped", message=message)


def error(parent: ET.Element, classname: str, name: str, kind: str, message: str) -> None:
    """Not a failed test but a test that could not run: why, in `message`."""
    node = ET.SubElement(parent, "testcase", classname=classname, name=name)
    ET.SubElement(node, "error", type=kind, message=message)


def render(root: ET.Element) -> str:
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
