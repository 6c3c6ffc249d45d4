"""Broken on purpose: the chat page's script has a syntax error (a missing brace), so
it never runs: the page opens no socket and shows nothing.  Only a browser sees it."""
import copy
import os

from chatserver.settings import *  # noqa: F401,F403
from chatserver.settings import TEMPLATES

TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["DIRS"] = [os.path.join(os.path.dirname(__file__), "page_templates", "syntax_error")] + TEMPLATES[0]["DIRS"]
