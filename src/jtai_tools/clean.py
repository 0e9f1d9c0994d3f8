"""Clean stage: pages of lines in, blocks (headings, paragraphs, list items) out.

PLACEHOLDER: joins lines naively; the real stage removes running headers and
footers, page numbers, the Ofsted address block, footnote markers and
markdown/HTML artefacts, undoes line-wrap hyphenation and re-joins paragraphs
and list items across line and page breaks.
"""

from __future__ import annotations

from .models import Block, RawDocument


def clean_document(raw: RawDocument) -> list[Block]:
    """The document's blocks in reading order."""
    return [Block(kind="paragraph", text=line.text.strip(), page=line.page)
            for page in raw.pages for line in page]
