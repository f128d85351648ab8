"""What the files context hands to other contexts: frozen values, no Django.

Other contexts hold a document's id (an integer) and receive :class:`DocumentRef` from the
facade; they never import the models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class DocumentRef:
    """One stored upload: the record of who sent which bytes, when, for what."""

    id: int
    name: str
    purpose: str
    media_type: str
    size: int
    sha256: str
    owner_id: int | None
    organisation_id: int | None
    created_at: datetime
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "purpose": self.purpose,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "owner_id": self.owner_id,
            "organisation_id": self.organisation_id,
            "created_at": self.created_at.isoformat(),
            "metadata": dict(self.metadata),
        }
