"""Database-level guards and helpers shared by the domain apps."""

from collections.abc import Iterator

import pgtrigger
from django.conf import settings
from django.db.models import QuerySet


def protect_delete(name: str) -> pgtrigger.Protect:
    """Trial and money records are never deleted: the database refuses a DELETE."""
    return pgtrigger.Protect(name=f"{name}_no_delete", operation=pgtrigger.Delete)


def batches(queryset: QuerySet, size: int | None = None) -> Iterator[list]:
    """The rows of ``queryset`` in lists of at most ``size`` (default: the ``SWEEP_BATCH_SIZE``
    setting, 500), read from a server-side cursor: a sweep over many rows holds one batch at a
    time, whatever the data size."""
    size = size or getattr(settings, "SWEEP_BATCH_SIZE", 500)
    batch = []
    for row in queryset.iterator(chunk_size=size):
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
