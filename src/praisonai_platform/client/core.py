"""What PlatformClient and AsyncPlatformClient share: sign-in and the resource namespaces."""

from __future__ import annotations

import httpx

from praisonai_platform.accounts.schemas import Accepted, TokenResponse, UserResponse
from praisonai_platform.client.calls import Call, Local, api_path, body, read_model
from praisonai_platform.client.endpoints import R, Resource, endpoint
from praisonai_platform.client.errors import PlatformError
from praisonai_platform.client.resources.activity import Activity
from praisonai_platform.client.resources.agents import Agents
from praisonai_platform.client.resources.api_keys import ApiKeys
from praisonai_platform.client.resources.comments import Comments
from praisonai_platform.client.resources.dependencies import Dependencies
from praisonai_platform.client.resources.events import Events
from praisonai_platform.client.resources.invitations import Invitations
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
        self.invitations: Invitations[R] = Invitations(runner)
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
        """Create an account and sign in with it (8 to 1,024 characters of password by
        default). When the server answers every registration alike, or the email is taken, it
        signs nobody in: PlatformError with code `registration_pending` (check the inbox)."""
        json = body(email=email, password=password, name=name)
        return Call("POST", api_path("auth", "register"), self._registered, json=json)

    @endpoint
    def login(self, email: str, password: str) -> Call[TokenResponse]:
        """Sign in; the token is kept on the client for the requests that follow."""
        json = body(email=email, password=password)
        return Call("POST", api_path("auth", "login"), self._signed_in, json=json)

    @endpoint
    def logout(self) -> Call[None]:
        """Sign out: the server ends every session of the account (this token, other tokens,
        admin UI sessions; not API keys), and the client forgets the token."""
        return Call("POST", api_path("auth", "logout"), self._signed_out)

    @endpoint
    def forget_token(self) -> Local[None]:
        """Forget the token without telling the server (it keeps working until it expires)."""
        self._runner.credentials.token = None
        return Local(None)

    @endpoint
    def change_password(
        self, current_password: str, new_password: str, *, revoke_api_keys: bool = False
    ) -> Call[TokenResponse]:
        """Change your password: every other session ends, the client keeps the new token;
        `revoke_api_keys` also revokes all your API keys."""
        json = body(
            current_password=current_password,
            new_password=new_password,
            revoke_api_keys=revoke_api_keys,
        )
        return Call("POST", api_path("auth", "password"), self._signed_in, json=json)

    @endpoint
    def request_password_reset(self, email: str) -> Call[Accepted]:
        """Ask for a password reset link by mail (the answer is the same for any address)."""
        json = body(email=email)
        return Call("POST", api_path("auth", "password-reset"), read_model(Accepted), json=json)

    @endpoint
    def reset_password(self, token: str, password: str) -> Call[TokenResponse]:
        """Choose a new password with the token from a reset mail, and sign in."""
        json = body(token=token, password=password)
        path = api_path("auth", "password-reset", "confirm")
        return Call("POST", path, self._signed_in, json=json)

    @endpoint
    def verify_email(self, token: str) -> Call[UserResponse]:
        """Verify your address with the token from a verification mail."""
        return Call("POST", api_path("auth", "verify-email"), _read_user, json=body(token=token))

    @endpoint
    def resend_verification(self) -> Call[Accepted]:
        """Mail a new verification link to the signed-in user's address."""
        path = api_path("auth", "verify-email", "resend")
        return Call("POST", path, read_model(Accepted))

    @endpoint
    def me(self) -> Call[UserResponse]:
        """The signed-in user."""
        return Call("GET", api_path("auth", "me"), _read_user)

    def _registered(self, response: httpx.Response) -> TokenResponse:
        if response.status_code == 202:
            accepted = Accepted.model_validate_json(response.content)
            raise PlatformError(
                accepted.detail,
                status_code=202,
                code="registration_pending",
                response=response,
            )
        return self._signed_in(response)

    def _signed_out(self, response: httpx.Response) -> None:
        self._runner.credentials.token = None

    def _signed_in(self, response: httpx.Response) -> TokenResponse:
        session = TokenResponse.model_validate_json(response.content)
        self._runner.credentials.token = session.token
        return session


def _read_user(response: httpx.Response) -> UserResponse:
    return UserResponse.model_validate_json(response.content)
