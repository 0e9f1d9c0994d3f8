"""Clean stage: pages of lines in, blocks (headings, paragraphs, list items) out.

The reports reach us as PDFs (lines with font size, weight and position) or as
text/markdown extractions (no layout at all), so the stage has two passes
(:mod:`.pdf`, the layout pass; :mod:`.text`, the text pass, with :mod:`.markup`
for markdown and HTML) that share one vocabulary and text normaliser
(:mod:`jtai_tools.vocab`), one running-header detector and the list markers
(:mod:`.common`):

- page furniture goes: running headers and footers (text repeated in the page
  margins), page numbers, the Ofsted address block, contents pages, footnotes
  and footnote markers, markdown and HTML mark-up;
- printed characters are normalised (ligatures, soft hyphens, odd spaces), but
  quotes stay as printed: straight or curly is the report's choice;
- lines are re-joined into paragraphs and list items across line and page
  breaks, using vertical gaps and hanging indents (PDF) or sentence ends and
  letter case (text);
- headings are told from body text by weight and size (PDF) or by vocabulary
  and shape (text).

Hyphens at line ends are real hyphens in these reports ("multi-" +
"agency" is "multi-agency"), so a wrap after a hyphen joins without a space.
"""

from __future__ import annotations

from ..models import Block, RawDocument
from ..vocab import heading_kind, normalise_chars
from .common import is_bullet, split_marker
from .markup import strip_markup
from .pdf import PdfCleaner
from .text import is_wrapped_text, text_blocks

__all__ = [
    "clean_document",
    "heading_kind",
    "is_bullet",
    "is_wrapped_text",
    "normalise_chars",
    "split_marker",
    "strip_markup",
]


def clean_document(raw: RawDocument) -> list[Block]:
    """The document's blocks in reading order."""
    if raw.format == "pdf":
        return PdfCleaner(raw).blocks()
    return text_blocks(raw)
