"""Broken on purpose: the chat page's script runs without an error but never opens
its WebSocket, so the page shows nothing and its button sends nothing."""
import copy
import os

from chatserver.settings import *  # noqa: F401,F403
from chatserver.settings import TEMPLATES

TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["DIRS"] = [os.path.join(os.path.dirname(__file__), "page_templates", "no_socket")] + TEMPLATES[0]["DIRS"]
