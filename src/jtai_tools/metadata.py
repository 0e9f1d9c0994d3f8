"""Metadata stage: who, what and when a report is about.

PLACEHOLDER until the report-type signatures are in place.
"""

from __future__ import annotations

from pathlib import Path

from .models import Area, Block, Metadata, RawDocument, Section


def read_metadata(raw: RawDocument, blocks: list[Block], sections: list[Section]) -> Metadata:
    """Area, inspection type, dates, inspectorates, JTAI focus and judgements."""
    return Metadata(area=Area(name=Path(raw.path).stem.split("-")[0]), inspection_type="other")
