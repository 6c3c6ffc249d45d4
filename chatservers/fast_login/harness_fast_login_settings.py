# -*- coding: utf-8 -*-
"""A chat server's own settings (CHAT_BASE_SETTINGS) with Django's fast MD5
password hasher first, as Django advises for tests.

The default hasher costs 260,000 to 1,000,000 PBKDF2 rounds per login (Django
3.2 to 5.2), and the first login of a fixture user re-hashes its password at
that cost: logins would measure password hashing, not message delivery.  The
fixtures keep their PBKDF2 hashes, so the real login path still runs.
``harness run|load --keep-password-hasher`` runs without this overlay.
"""
import importlib
import os

from django.conf import global_settings

_base = importlib.import_module(os.environ["CHAT_BASE_SETTINGS"])
globals().update(dict((name, value) for name, value in vars(_base).items() if name.isupper()))

_FAST = "django.contrib.auth.hashers.MD5PasswordHasher"
PASSWORD_HASHERS = [_FAST] + [h for h in getattr(_base, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS) if h != _FAST]
