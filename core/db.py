"""Database-level guards and helpers shared by the domain apps."""

from collections.abc import Iterator

import pgtrigger
from django.conf import settings
from django.db.models import Count, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


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


def correlated_count(queryset: QuerySet, by: str) -> Coalesce:
    """The number of rows of ``queryset`` (filtered with ``by=OuterRef(...)``) for each outer
    row, as a correlated subquery, 0 when none. Postgres computes it for the rows a page
    shows, after the ORDER BY … LIMIT, where a joined ``Count`` would group every row of every
    visible parent first (and multiply with any other joined count)."""
    counted = queryset.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
