# -*- coding: utf-8 -*-
"""Broken on purpose: no authentication backend, so every login POST fails
(Django: "No authentication backends have been defined", a 500).  The server
starts and its pages answer, but no scenario gets a logged-in session: every
delivery cell goes unobserved."""
from chatserver.settings import *  # noqa: F401,F403

AUTHENTICATION_BACKENDS = []
