"""Who is acting: a person, an agent (through an agent-bound API key) or the system."""

from __future__ import annotations

from dataclasses import dataclass

from praisonai_platform.db.models import ActorType, Member, User, Workspace


@dataclass(frozen=True, slots=True)
class Membership:
    """The caller's standing in one workspace, loaded together with the credential (the
    workspace of the request's path): `member` and `workspace` are None when the caller is not
    a member, or there is no such workspace. `workspaces.permissions` answers from it without
    asking the database again."""

    workspace_id: str
    workspace: Workspace | None
    member: Member | None


@dataclass(frozen=True, slots=True, init=False)
class Actor:
    """The principal behind a request or a piece of work.

    A person or an agent: `user` is the person whose rights apply. For an agent, `id` is the
    agent's id and `user` the owner of the key it acts through. `scopes` limits what the
    credential may do (None: everything the user may do); `workspace_id` pins the credential to
    one workspace. An agent has member rights at most, whatever its owner's role (the
    permission table, workspaces.permissions, caps it). `membership`: the caller's standing in
    the workspace the request is about, when it was loaded with the credential.

    The system (`Actor.system()`): the server's own in-process workers, which work on the
    shared database directly and are trusted with every run and worker. It acts for no person:
    asking it for `user` or `user_id` is a programming error and raises.
    """

    type: ActorType
    id: str
    _user: User | None
    scopes: frozenset[str] | None
    workspace_id: str | None
    api_key_id: str | None
    membership: Membership | None

    def __init__(
        self,
        type: ActorType,
        id: str,
        user: User,
        scopes: frozenset[str] | None = None,
        workspace_id: str | None = None,
        api_key_id: str | None = None,
        membership: Membership | None = None,
    ) -> None:
        if type is ActorType.SYSTEM:
            raise ValueError("the system actor is Actor.system()")
        self._assign(type, id, user, scopes, workspace_id, api_key_id, membership)

    def _assign(
        self,
        type: ActorType,
        id: str,
        user: User | None,
        scopes: frozenset[str] | None,
        workspace_id: str | None,
        api_key_id: str | None,
        membership: Membership | None = None,
    ) -> None:
        # Frozen: fields are set once, here.
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "_user", user)
        object.__setattr__(self, "scopes", scopes)
        object.__setattr__(self, "workspace_id", workspace_id)
        object.__setattr__(self, "api_key_id", api_key_id)
        object.__setattr__(self, "membership", membership)

    @classmethod
    def for_user(cls, user: User, membership: Membership | None = None) -> Actor:
        return cls(type=ActorType.USER, id=user.id, user=user, membership=membership)

    @classmethod
    def system(cls) -> Actor:
        """The server's own in-process workers (see the class docstring)."""
        return SYSTEM

    @property
    def user(self) -> User:
        if self._user is None:
            raise RuntimeError("the system actor acts for no person: check `is_system` first")
        return self._user

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def is_agent(self) -> bool:
        return self.type is ActorType.AGENT

    @property
    def is_system(self) -> bool:
        return self.type is ActorType.SYSTEM

    @property
    def is_unrestricted(self) -> bool:
        """A person's credential without limits: a session, or an API key with the write scope,
        for every workspace and bound to no agent. (Whether it is a session: `api_key_id`.)"""
        return (
            not self.is_system
            and not self.is_agent
            and self.workspace_id is None
            and (self.scopes is None or "write" in self.scopes)
        )


def _system_actor() -> Actor:
    actor = object.__new__(Actor)
    actor._assign(ActorType.SYSTEM, ActorType.SYSTEM.value, None, None, None, None)
    return actor


SYSTEM = _system_actor()
