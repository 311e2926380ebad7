"""Site-wide request checks that run before anything reads the request."""

import re
from urllib.parse import unquote

from jhop.views import bad_request

# C0 control characters and DEL: no URL of ours has them, and PostgreSQL refuses NUL in
# text (a query with one would be a 500). Query values may keep tab, CR and LF (a form's
# textarea sends them).
PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
QUERY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RejectControlCharactersMiddleware:
    """Answer 400 to a path or query string with control characters (NUL above all), for
    every view at once, without logging it as an error (nobody is emailed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if PATH_CONTROL.search(request.path_info) or QUERY_CONTROL.search(unquote(query)):
            return bad_request(request, None)
        return self.get_response(request)
