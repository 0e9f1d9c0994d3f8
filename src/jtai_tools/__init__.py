"""jtai: extract, tag and compare English children's safeguarding inspection reports.

The pipeline, one module a stage: :mod:`read` → :mod:`clean` → :mod:`sections`
→ :mod:`metadata` → :mod:`tag` → :mod:`store`; :mod:`extract` runs it.
"""

from .extract import extract_file
from .models import Finding, Report, Section

__all__ = ["Finding", "Report", "Section", "extract_file"]
__version__ = "0.1.0"
