"""The ASGI application: Django, with the sealed-bid chunk endpoint served in front of it
(``yingshang.trading.bids.asgi``: chunks at a deadline surge skip Django's request path)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from django.urls import get_resolver  # noqa: E402  (after Django is set up)

from yingshang.trading.bids.asgi import wrap  # noqa: E402

# Every server process imports the URLconf (and with it the API's schemas, about two seconds)
# as it starts, not on its first request: a process started shortly before a bid deadline must
# not stall its first bidders while it imports.
get_resolver().url_patterns  # noqa: B018  (the property imports the URLconf)

application = wrap(django_application)
