"""Tag stage: themes, polarity and agencies for each finding, with evidence.

PLACEHOLDER until the codebook and spaCy matchers are in place.
"""

from __future__ import annotations

from .models import Finding


class Tagger:
    """Tags findings in place."""

    def tag(self, findings: list[Finding]) -> None:
        for finding in findings:
            if finding.section_kind in ("improve", "recommendations"):
                finding.polarity = "concern"
            elif finding.section_kind == "strengths":
                finding.polarity = "strength"
