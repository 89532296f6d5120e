"""flytekit's path for entity documentation.

Everything is defined in :mod:`flyteplane.models.admin.description_entity`.
"""

from __future__ import annotations

from flyteplane.models.admin.description_entity import Description, Documentation, SourceCode

__all__ = ["Description", "Documentation", "SourceCode"]
