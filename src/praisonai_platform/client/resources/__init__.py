"""The client's namespaces: one module per kind of thing in a workspace."""
