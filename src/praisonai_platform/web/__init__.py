"""The web app for people: server-rendered pages (Jinja2 and htmx) on the same services and
permissions as the REST API, mounted at `/` beside /api/v1 and /admin."""
