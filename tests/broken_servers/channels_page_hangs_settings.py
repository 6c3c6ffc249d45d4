"""Broken on purpose: the chat page hangs for a browser (channels_page_hangs_urls)."""
from chatserver.settings import *  # noqa: F401,F403

ROOT_URLCONF = "channels_page_hangs_urls"
