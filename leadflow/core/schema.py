"""Small types shared by the API schemas."""

from typing import Annotated

from pydantic import Field

# A row id as the databases store it (64-bit): larger numbers are refused with a 422 at
# the door instead of reaching SQLite (OverflowError) or PostgreSQL (no match) differently.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
