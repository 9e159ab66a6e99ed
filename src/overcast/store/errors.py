"""The errors the store raises: a constraint refused a write (Conflict), or the engine failed."""

from __future__ import annotations

from overcast.errors import InternalFailure, ResourceConflict


class Conflict(ResourceConflict):
    """A write broke a constraint (UNIQUE, PRIMARY KEY, NOT NULL, FOREIGN KEY, CHECK) on either engine.

    It answers as ResourceConflictException (409) if nothing catches it; domain code catches it
    where AWS has a more specific error (for example "Function already exist").
    """


class StoreFailure(InternalFailure):
    """The engine failed (bad SQL, missing table, I/O error, lost connection); a bug or an outage."""
