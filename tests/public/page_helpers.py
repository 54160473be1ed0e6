"""What the tests of the cached public pages share."""

import re

_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]*)"')


def csrf_value(response) -> bytes:
    """The CSRF token the page carries (in its language switch)."""
    return _TOKEN.search(response.content).group(1)


def without_token(response) -> bytes:
    """The page's bytes without its CSRF token: what every visitor gets the same."""
    return _TOKEN.sub(b'name="csrfmiddlewaretoken" value=""', response.content)
