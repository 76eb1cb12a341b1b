"""The API fixtures (app, client, make_user, make_workspace, …) for the change feed's tests."""

from tests.api.conftest import (  # noqa: F401
    _app_key,
    add_member,
    app,
    client,
    make_user,
    make_workspace,
    server_settings,
)
