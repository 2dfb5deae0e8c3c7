"""Database-level guards shared by the domain apps."""

import pgtrigger


def protect_delete(name: str) -> pgtrigger.Protect:
    """Trial and money records are never deleted: the database refuses a DELETE."""
    return pgtrigger.Protect(name=f"{name}_no_delete", operation=pgtrigger.Delete)
