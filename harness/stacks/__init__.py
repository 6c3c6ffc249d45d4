"""Stack adapters: what differs between ws4redis and Channels for the driver."""

from __future__ import annotations

from harness.errors import BadInput
from harness.stacks.base import Stack
from harness.stacks.channels import ChannelsStack
from harness.stacks.ws4redis import Ws4redisStack

STACKS: dict[str, Stack] = {stack.family: stack for stack in (Ws4redisStack(), ChannelsStack())}


def stack_for(family: str) -> Stack:
    try:
        return STACKS[family]
    except KeyError:
        raise BadInput(f"unknown stack family {family!r}: known are {', '.join(sorted(STACKS))}") from None
