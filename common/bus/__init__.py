from common.bus.bus import Bus, PublishFailed, UnroutableError
from common.bus.consumer import Consumer, Handler
from common.bus.dead_letters import DEAD_LETTER_INDEXES, DeadLetters, Failure
from common.bus.topology import QUEUES, Names, QueueSpec

__all__ = [
    "DEAD_LETTER_INDEXES",
    "QUEUES",
    "Bus",
    "Consumer",
    "DeadLetters",
    "Failure",
    "Handler",
    "Names",
    "PublishFailed",
    "QueueSpec",
    "UnroutableError",
]
