# -*- coding: utf-8 -*-
"""Settings of the ws4redis chat server, valid from Django 1.8 to 5.2.

The harness passes everything that must differ between runs through the
environment (database file, Redis address, key prefix), so that parallel runs
never share a database or a Redis key space.
"""
import os

import django

BASE_DIR = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = "harness-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    # ws4redis must be installed: its user_logged_in receiver stores the user's
    # groups in the session, which is where group delivery reads them from.
    "ws4redis",
]

_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
if django.VERSION >= (1, 10):
    MIDDLEWARE = _MIDDLEWARE
else:
    MIDDLEWARE_CLASSES = _MIDDLEWARE

ROOT_URLCONF = "chatserver.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(BASE_DIR, "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.static",
                "ws4redis.context_processors.default",
            ],
        },
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

# The websocket loop must not block on a database session lookup (ws4redis
# docs: never keep sessions in the database); signed cookies need no store.
# CHAT_SESSIONS=redis (the harness's `redissessions` variant) keeps them in Redis
# instead, as upstream's example does (django-redis-sessions 0.6+ reads the one
# SESSION_REDIS dict; the example's flat SESSION_REDIS_PREFIX is from before 0.6).
# The key prefix is this run's, so parallel runs and modes never share a session.
_SESSIONS = os.environ.get("CHAT_SESSIONS", "signed_cookies")
if _SESSIONS == "redis":
    SESSION_ENGINE = "redis_sessions.session"
    SESSION_REDIS = {
        "host": os.environ.get("CHAT_REDIS_HOST", "127.0.0.1"),
        "port": int(os.environ.get("CHAT_REDIS_PORT", "6379")),
        "db": int(os.environ.get("CHAT_REDIS_DB", "0")),
        "prefix": os.environ.get("CHAT_REDIS_PREFIX", "ws") + ":django-session",
        # The default 0.1 s would turn a busy 2-core machine into lost logins.
        "socket_timeout": 5,
    }
elif _SESSIONS == "signed_cookies":
    SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
else:
    raise ValueError("CHAT_SESSIONS must be 'redis' or 'signed_cookies', not %r" % _SESSIONS)

USE_TZ = True
STATIC_URL = "/static/"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# ws4redis
WEBSOCKET_URL = "/ws/"
WS4REDIS_CONNECTION = {
    "host": os.environ.get("CHAT_REDIS_HOST", "127.0.0.1"),
    "port": int(os.environ.get("CHAT_REDIS_PORT", "6379")),
    "db": int(os.environ.get("CHAT_REDIS_DB", "0")),
}
WS4REDIS_PREFIX = os.environ.get("CHAT_REDIS_PREFIX", "ws")
# `harness conformance` turns both off (CHAT_WS4REDIS_EXPIRE=0, CHAT_WS4REDIS_HEARTBEAT
# empty) for its echo socket, as a user serving a plain echo would: otherwise every
# new socket first gets the last message persisted in Redis, and every turn of the
# socket loop sends a heartbeat frame (ws4redis/wsgi_server.py), so no echo is exact.
WS4REDIS_EXPIRE = int(os.environ.get("CHAT_WS4REDIS_EXPIRE", "3600"))
WS4REDIS_HEARTBEAT = os.environ.get("CHAT_WS4REDIS_HEARTBEAT", "--heartbeat--") or None

# The development server of ws4redis; uWSGI uses chatserver.wsgi instead.
WSGI_APPLICATION = "ws4redis.django_runserver.application"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        # ws4redis logs through Django's "django.request" logger, its reasons for
        # closing a socket at INFO ("websocket.receive: UnicodeError ..." before
        # a 1007, ws4redis/websocket.py): the server log must show them.
        "django.request": {"handlers": ["console"], "level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "WARNING"},
        "ws4redis": {"handlers": ["console"], "level": "INFO"},
    },
}
