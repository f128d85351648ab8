"""The ASGI application: Django, with the sealed-bid chunk endpoint served in front of it
(``yingshang.trading.bids.asgi``: chunks at a deadline surge skip Django's request path)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from yingshang.trading.bids.asgi import wrap  # noqa: E402  (after Django is set up)

application = wrap(django_application)
