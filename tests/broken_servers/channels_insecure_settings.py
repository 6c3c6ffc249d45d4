"""Broken on purpose, one fault per security and robustness check (each affects
that check only): no Origin validator, a consumer that trusts the client's ``from``
field and ``user`` query parameter, that mishandles an unknown command, a binary
frame and a large message, and an HTTP view that crashes on a plain GET of the
socket URL."""
from chatserver.settings import *  # noqa: F401,F403

CHAT_ORIGIN_VALIDATOR = False
CHAT_CONSUMER = "channels_broken.FragileConsumer"
ROOT_URLCONF = "channels_insecure_urls"
