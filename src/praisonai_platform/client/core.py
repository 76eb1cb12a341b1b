"""What PlatformClient and AsyncPlatformClient share: sign-in and the resource namespaces."""

from __future__ import annotations

import httpx

from praisonai_platform.accounts.schemas import TokenResponse, UserResponse
from praisonai_platform.client.calls import Call, Local, api_path, body
from praisonai_platform.client.endpoints import R, Resource, endpoint
from praisonai_platform.client.resources.activity import Activity
from praisonai_platform.client.resources.agents import Agents
from praisonai_platform.client.resources.api_keys import ApiKeys
from praisonai_platform.client.resources.comments import Comments
from praisonai_platform.client.resources.dependencies import Dependencies
from praisonai_platform.client.resources.events import Events
from praisonai_platform.client.resources.issues import Issues
from praisonai_platform.client.resources.labels import Labels
from praisonai_platform.client.resources.members import Members
from praisonai_platform.client.resources.projects import Projects
from praisonai_platform.client.resources.runs import Runs
from praisonai_platform.client.resources.workers import Workers
from praisonai_platform.client.resources.workspaces import Workspaces


class ClientCore(Resource[R]):
    def __init__(self, runner: R) -> None:
        super().__init__(runner)
        self.workspaces: Workspaces[R] = Workspaces(runner)
        self.members: Members[R] = Members(runner)
        self.projects: Projects[R] = Projects(runner)
        self.issues: Issues[R] = Issues(runner)
        self.comments: Comments[R] = Comments(runner)
        self.labels: Labels[R] = Labels(runner)
        self.dependencies: Dependencies[R] = Dependencies(runner)
        self.agents: Agents[R] = Agents(runner)
        self.activity: Activity[R] = Activity(runner)
        self.api_keys: ApiKeys[R] = ApiKeys(runner)
        self.runs: Runs[R] = Runs(runner)
        self.workers: Workers[R] = Workers(runner)
        self.events: Events[R] = Events(runner)

    @property
    def token(self) -> str | None:
        """The bearer token requests are sent with (from login, register or the constructor)."""
        return self._runner.credentials.token

    @token.setter
    def token(self, value: str | None) -> None:
        self._runner.credentials.token = value

    @property
    def api_key(self) -> str | None:
        return self._runner.credentials.api_key

    @endpoint
    def register(
        self, email: str, password: str, *, name: str | None = None
    ) -> Call[TokenResponse]:
        """Create an account and sign in with it (8 to 1,024 characters of password)."""
        json = body(email=email, password=password, name=name)
        return Call("POST", api_path("auth", "register"), self._signed_in, json=json)

    @endpoint
    def login(self, email: str, password: str) -> Call[TokenResponse]:
        """Sign in; the token is kept on the client for the requests that follow."""
        json = body(email=email, password=password)
        return Call("POST", api_path("auth", "login"), self._signed_in, json=json)

    @endpoint
    def logout(self) -> Local[None]:
        """Forget the token (tokens expire on their own; the server keeps no session)."""
        self._runner.credentials.token = None
        return Local(None)

    @endpoint
    def me(self) -> Call[UserResponse]:
        """The signed-in user."""
        return Call("GET", api_path("auth", "me"), _read_user)

    def _signed_in(self, response: httpx.Response) -> TokenResponse:
        session = TokenResponse.model_validate_json(response.content)
        self._runner.credentials.token = session.token
        return session


def _read_user(response: httpx.Response) -> UserResponse:
    return UserResponse.model_validate_json(response.content)
