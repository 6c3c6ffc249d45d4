# -*- coding: utf-8 -*-
"""Settings of a chat server under load: its own settings (CHAT_BASE_SETTINGS),
with Django's fast MD5 password hasher first, as Django advises for tests.

Load users log in once each; with the default hasher (600,000 PBKDF2 rounds on
Django 4.2) hundreds of logins would measure password hashing, not message
fan-out.  ``harness load --keep-password-hasher`` runs without this overlay.
"""
import importlib
import os

from django.conf import global_settings

_base = importlib.import_module(os.environ["CHAT_BASE_SETTINGS"])
globals().update(dict((name, value) for name, value in vars(_base).items() if name.isupper()))

_FAST = "django.contrib.auth.hashers.MD5PasswordHasher"
PASSWORD_HASHERS = [_FAST] + [h for h in getattr(_base, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS) if h != _FAST]
