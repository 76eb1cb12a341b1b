"""The system actor: the server's own worker processes, acting for no person."""

from __future__ import annotations

import pytest

from praisonai_platform.core.actors import SYSTEM, Actor
from praisonai_platform.db.models import ActorType, User


def test_the_system_actor_is_one_and_acts_for_no_person() -> None:
    assert Actor.system() is SYSTEM
    assert SYSTEM.is_system and not SYSTEM.is_agent and SYSTEM.type is ActorType.SYSTEM
    with pytest.raises(RuntimeError):
        _ = SYSTEM.user_id


def test_a_person_or_agent_is_never_the_system() -> None:
    user = User(id="u1", name="a", email="a@example.com")
    person = Actor.for_user(user)
    assert (person.is_system, person.user_id, person.user) == (False, "u1", user)
    agent = Actor(type=ActorType.AGENT, id="agent-1", user=user, scopes=frozenset({"read"}))
    assert (agent.is_agent, agent.is_system, agent.user_id) == (True, False, "u1")
    with pytest.raises(ValueError):
        Actor(type=ActorType.SYSTEM, id="system", user=user)
