"""The MCP server: issues and runs as tools and resources for MCP clients (coding agents).

Every tool authenticates with an API key, acts as the key's user or agent (`Actor`), and calls
the services the REST API calls, with their permission checks: a key does no more over MCP than
over REST. Two transports: stdio (`praisonai-platform mcp`, on the database directly) and
streamable HTTP, mounted in the API server at `/mcp`.

Build it with `server.build_server`; `http.McpEndpoint` serves it in the API server. Nothing is
imported here, so that the API server imports the MCP SDK only once it starts serving.
"""
