from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=`; up to 1,000 rows a page so a dashboard can fetch a project in one go."""

    default_limit = 100
    max_limit = 1000
