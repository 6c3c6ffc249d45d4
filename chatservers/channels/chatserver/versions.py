"""Which Channels and Django lines are installed: the code branches on them, not on copies."""
import channels
import django

CHANNELS_MAJOR = int(channels.__version__.split(".")[0])
DJANGO_VERSION = django.VERSION[:2]
