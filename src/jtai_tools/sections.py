"""Sections stage: blocks in, the report's sections and findings out.

PLACEHOLDER until the heading vocabulary is in place.
"""

from __future__ import annotations

from .models import Block, Finding, Section


def split_sections(blocks: list[Block]) -> list[Section]:
    """The report's main sections in document order."""
    return [Section(kind="other", heading="", paragraphs=[b.text for b in blocks])]


def build_findings(sections: list[Section]) -> list[Finding]:
    """One finding per list item and one per sentence of each narrative section."""
    findings: list[Finding] = []
    for section in sections:
        for item in section.items:
            findings.append(Finding(section.kind, section.heading, item, len(findings)))
    return findings
