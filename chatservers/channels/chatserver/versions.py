"""Which Channels release line is installed: the code branches on it, not on copies."""
import channels

CHANNELS_MAJOR = int(channels.__version__.split(".")[0])
