"""The base every configuration section derives from.

All sections of a persona file are pydantic models that forbid unknown keys (so a misspelt key is an
error, not silently ignored) and describe every field (the template and README reference are generated
from these descriptions).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)
