"""PlanExe's `database_api` names on praisonai-platform's models.

Seed 002's import block runs as written; each name is one of the platform's own models (the same
table), with PlanExe's column names as synonyms where the platform's differ, and the helpers
PlanExe's services call, kept to the platform's rules. See "Coming from PlanExe's database_api"
in the documentation for the whole map.
"""
