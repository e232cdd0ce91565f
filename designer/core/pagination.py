from rest_framework.pagination import LimitOffsetPagination

from designer.core.params import query_int


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=`; up to 1,000 rows a page so a dashboard can fetch a project in one go.

    Both are validated (a 400 naming the parameter): DRF's own reading passed
    an offset past PostgreSQL's bigint through to the query, a 500.
    """

    default_limit = 100
    max_limit = 1000

    def get_limit(self, request):
        limit = query_int(request.query_params, self.limit_query_param, self.default_limit, min_value=1)
        return min(limit, self.max_limit)

    def get_offset(self, request):
        return query_int(request.query_params, self.offset_query_param, 0)
