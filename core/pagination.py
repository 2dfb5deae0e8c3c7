"""Pagination whose cost does not grow with the data (issue 8, the speed budget).

Django's paginator counts every row of the list before showing page 1. For a CRO-wide user of
the scale data set that is a ``COUNT(*)`` over hundreds of thousands of subject visits or data
queries, on every page view. ``CappedPaginator`` counts no further than ``COUNT_CAP`` rows: a
list longer than that says "Page 1 of 200+" (HTML) or ``"count_capped": true`` (API), and its
pages past the cap stay reachable: each such page reads one row more than it shows to know
whether another page follows.
"""

from math import ceil

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 5_000


class CappedPage(Page):
    # Past the cap: whether the row after this page exists (read with the page's rows).
    more: bool | None = None

    def has_next(self) -> bool:
        return self.more if self.more is not None else super().has_next()

    @property
    def total_label(self) -> str:
        """How many pages there are, as the page shows it: "4", or "200+" when capped (the
        exact number once the last page is reached)."""
        paginator = self.paginator
        if not paginator.capped:
            return str(paginator.num_pages)
        if not self.has_next():
            return str(self.number)
        return f"{max(paginator.num_pages, self.number)}+"


class CappedPaginator(Paginator):
    count_cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        """The number of rows, or ``count_cap + 1`` when there are more than ``count_cap``."""
        if isinstance(self.object_list, QuerySet):
            return self.object_list.order_by()[: self.count_cap + 1].count()
        return super().count

    @property
    def capped(self) -> bool:
        return self.count > self.count_cap

    @cached_property
    def num_pages(self) -> int:
        """The pages up to the cap (the last one shown as "N+" when capped)."""
        if not self.capped:
            return super().num_pages
        return ceil(self.count_cap / self.per_page)

    def validate_number(self, number) -> int:
        if not self.capped:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number) -> Page:
        number = self.validate_number(number)
        if not self.capped or number < self.num_pages:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows:
            raise EmptyPage(self.error_messages["no_results"])
        page = self._get_page(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page

    def _get_page(self, *args, **kwargs) -> CappedPage:
        return CappedPage(*args, **kwargs)
