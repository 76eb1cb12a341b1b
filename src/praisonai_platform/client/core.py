"""What PlatformClient and AsyncPlatformClient share: sign-in and the resource namespaces."""

from __future__ import annotations

from typing import Any

import httpx

from praisonai_platform.accounts.schemas import Accepted, TokenResponse, UserResponse
from praisonai_platform.client.calls import Call, Flow, Local, api_path, body, read_model
from praisonai_platform.client.endpoints import R, Resource, endpoint
from praisonai_platform.client.errors import AuthenticationError, PlatformError
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
from praisonai_platform.client.resources.search import search as search_endpoint
from praisonai_platform.client.resources.webhooks import Webhooks
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
        self.webhooks: Webhooks[R] = Webhooks(runner)

    search = search_endpoint

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
    ) -> Flow[TokenResponse]:
        """Create an account and sign in with it (8 to 1,024 characters of password by
        default). A server that answers every registration alike (202) is followed by a sign-in
        with the same password; if that fails (the address already had an account with
        another password), PlatformError with code `registration_pending` says so without
        telling whether the address has an account."""
        json = body(email=email, password=password, name=name)
        return self._register(json, email, password)

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

    def _register(self, json: dict[str, Any], email: str, password: str) -> Flow[TokenResponse]:
        registered = yield Call("POST", api_path("auth", "register"), _read_registration, json=json)
        if isinstance(registered, TokenResponse):
            self._runner.credentials.token = registered.token
            return registered
        sign_in = body(email=email, password=password)
        try:
            session: TokenResponse = yield Call(
                "POST", api_path("auth", "login"), self._signed_in, json=sign_in
            )
        except AuthenticationError as failed:
            raise PlatformError(
                f"{registered.detail} Could not sign in with this password.",
                status_code=202,
                code="registration_pending",
                response=failed.response,
            ) from None
        return session

    def _signed_out(self, response: httpx.Response) -> None:
        self._runner.credentials.token = None

    def _signed_in(self, response: httpx.Response) -> TokenResponse:
        session = TokenResponse.model_validate_json(response.content)
        self._runner.credentials.token = session.token
        return session


def _read_registration(response: httpx.Response) -> TokenResponse | Accepted:
    """201: the new account, signed in; 202: the same answer for any address (sign in next)."""
    if response.status_code == 202:
        return Accepted.model_validate_json(response.content)
    return TokenResponse.model_validate_json(response.content)


def _read_user(response: httpx.Response) -> UserResponse:
    return UserResponse.model_validate_json(response.content)
