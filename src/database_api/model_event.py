"""`EventItem` is the platform's run event (table `events`); `EventType` its types."""

from praisonai_platform.db.models import Event as EventItem
from praisonai_platform.db.models import EventType

__all__ = ["EventItem", "EventType"]
