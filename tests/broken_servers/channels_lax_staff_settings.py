"""Broken on purpose: the staff-only room admits anybody."""
from chatserver.settings import *  # noqa: F401,F403

CHAT_CONSUMER = "channels_broken.LaxStaffConsumer"
