"""Pages of long lists that cost the same at the end of the archive as at its start."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class CountedPaginator(Paginator):
    """A paginator told how many rows there are (a stored count: no COUNT query), which
    reads pages past the middle from the other end, so the last page is as cheap as the
    first (an OFFSET costs as many rows as it skips)."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        rows = self.object_list
        if bottom > self.count // 2 and isinstance(rows, QuerySet) and rows.ordered:
            tail = list(rows.reverse()[self.count - top : self.count - bottom])
            return self._get_page(tail[::-1], number, self)
        return super().page(number)
