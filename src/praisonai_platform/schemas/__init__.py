"""Request and response bodies of the REST API, shared by the server and the Python client."""
