import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaring.settings")
django_application = get_wsgi_application()

from jaring.api.coverage import CoverageFront  # noqa: E402 - needs the apps loaded above

# The coverage look-up by bearer token is answered in front of Django (jaring.api.coverage).
application = CoverageFront(django_application)
