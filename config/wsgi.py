import os

from django.core.wsgi import get_wsgi_application

from config.bodylimit import WsgiBodyLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Bodies over their route's cap are refused in front of Django, before it reads them.
application = WsgiBodyLimit(get_wsgi_application())
