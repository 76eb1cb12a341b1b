"""Who is acting: a person, an agent (through an agent-bound API key) or the system."""

from __future__ import annotations

from dataclasses import dataclass, field

from praisonai_platform.db.models import ActorType, User


@dataclass(frozen=True, slots=True)
class Actor:
    """The principal behind a request. `user` is the person whose rights apply.

    For an agent, `id` is the agent's id and `user` the owner of the key it acts through.
    `scopes` limits what the credential may do (None: everything the user may do);
    `workspace_id` pins the credential to one workspace.
    """

    type: ActorType
    id: str
    user: User
    scopes: frozenset[str] | None = None
    workspace_id: str | None = None
    api_key_id: str | None = field(default=None)

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(type=ActorType.USER, id=user.id, user=user)

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def is_agent(self) -> bool:
        return self.type is ActorType.AGENT
