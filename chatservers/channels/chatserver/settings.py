"""Settings of the Channels chat server, valid for Channels 2 to 4 on Django 2.2 to 6.0.

The harness passes everything that must differ between runs through the
environment (database file, Redis address, key prefix, channel layer), so that
parallel runs never share a database or a Redis key space.
"""
import os

import django

from chatserver.versions import CHANNELS_MAJOR

BASE_DIR = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = "harness-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",  # up to Channels 3 this is what turns runserver into an ASGI server
    "chat",
]
if CHANNELS_MAJOR >= 4:
    # Channels 4 moved runserver into daphne, which must come first to win.
    INSTALLED_APPS.insert(0, "daphne")

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "chatserver.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(BASE_DIR, "templates")],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth"]},
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("CHAT_DB", os.path.join(BASE_DIR, "chat.sqlite3")),
    }
}
if django.VERSION >= (3, 2):
    DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# Same as the ws4redis server: no session store to hit from the event loop.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

USE_TZ = True
STATIC_URL = "/static/"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

ASGI_APPLICATION = "chatserver.asgi.application"

_REDIS_URL = "redis://{}:{}/{}".format(
    os.environ.get("CHAT_REDIS_HOST", "127.0.0.1"),
    os.environ.get("CHAT_REDIS_PORT", "6379"),
    os.environ.get("CHAT_REDIS_DB", "0"),
)
_REDIS_CONFIG = {"hosts": [_REDIS_URL], "prefix": os.environ.get("CHAT_REDIS_PREFIX", "asgi")}
CHANNEL_LAYER_BACKENDS = {
    "redis": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": _REDIS_CONFIG},
    # channels_redis 3.3+ only.
    "pubsub": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": _REDIS_CONFIG},
    # One process only: every server mode the harness starts is one process.
    "inmemory": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
}
CHAT_CHANNEL_LAYER = os.environ.get("CHAT_CHANNEL_LAYER", "redis")
if CHAT_CHANNEL_LAYER not in CHANNEL_LAYER_BACKENDS:
    raise ValueError(
        "CHAT_CHANNEL_LAYER={!r}: use one of {}".format(CHAT_CHANNEL_LAYER, ", ".join(sorted(CHANNEL_LAYER_BACKENDS)))
    )
CHANNEL_LAYERS = {"default": CHANNEL_LAYER_BACKENDS[CHAT_CHANNEL_LAYER]}

# The consumer serving /ws/chat/ (the harness's tests swap in broken ones).
CHAT_CONSUMER = "chat.consumers.ChatConsumer"
# /ws/secure/chat/ only from pages of ALLOWED_HOSTS (chat/routing.py); off only in a broken server.
CHAT_ORIGIN_VALIDATOR = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "WARNING"},
    },
}
