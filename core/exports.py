"""CSV downloads written row by row while the response streams."""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse


class _Echo:
    """A file-like object whose ``write`` returns the line, so ``csv.writer`` yields text."""

    def write(self, value: str) -> str:
        return value


def streaming_csv(
    filename: str, header: list[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    """A CSV download of ``header`` then ``rows``, each written as the client reads it: with
    rows read through ``QuerySet.iterator()``, an export holds one fetched chunk at a time,
    whatever its length."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
