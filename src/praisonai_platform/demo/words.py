"""Believable issue text from word lists: titles, descriptions and comments, nothing downloaded.

Deterministic for a given `random.Random`, so a seed run can be repeated exactly.
"""

from __future__ import annotations

import random

VERBS = (
    "Fix", "Add", "Remove", "Refactor", "Speed up", "Document", "Investigate", "Migrate",
    "Harden", "Simplify", "Retry", "Validate", "Cache", "Log", "Test", "Rename", "Split",
    "Deprecate", "Support", "Paginate",
)  # fmt: skip
ADJECTIVES = (
    "flaky", "slow", "missing", "broken", "duplicate", "stale", "oversized", "unbounded",
    "silent", "racy", "legacy", "partial", "encrypted", "nightly", "optional", "nested",
    "concurrent", "expired", "orphaned", "default",
)  # fmt: skip
NOUNS = (
    "webhook retries", "login redirects", "invoice exports", "search results", "rate limits",
    "session tokens", "upload previews", "audit entries", "email digests", "API keys",
    "password resets", "queue workers", "database migrations", "dashboard charts",
    "notification settings", "CSV imports", "timezone handling", "error pages", "cursor paging",
    "label colours", "agent heartbeats", "billing webhooks", "backup jobs", "OAuth callbacks",
    "mobile layouts", "access logs", "feature flags", "health checks", "cache keys",
    "comment threads",
)  # fmt: skip
COMPONENTS = (
    "the API", "the CLI", "the admin UI", "billing", "search", "the worker", "the SDK",
    "onboarding", "the importer", "reports", "the scheduler", "settings",
)  # fmt: skip
OBSERVATIONS = (
    "Seen on production since the last release.",
    "Happens about once a day under load.",
    "Customers on the team plan reported it twice this week.",
    "It only shows up with more than a few thousand rows.",
    "Reproducible locally with the steps below.",
    "The logs show a timeout just before it fails.",
    "This blocks the next milestone.",
    "Nobody has looked at this part of the code in a year.",
    "An agent flagged this during a nightly run.",
    "Low risk, but it keeps coming up in support tickets.",
)
STEPS = (
    "Open the page with an empty workspace.",
    "Create two items with the same name.",
    "Wait for the token to expire and retry.",
    "Switch the language to German and reload.",
    "Run the export with a filter on status.",
    "Send the request twice within a second.",
    "Import a file with a byte order mark.",
    "Page past the first hundred results.",
)
EXPECTATIONS = (
    "Expected: the request succeeds once and the second is ignored.",
    "Expected: a clear error message instead of a blank page.",
    "Expected: the same result on every page.",
    "Expected: it finishes in under a second.",
    "Expected: nothing is sent twice.",
    "Expected: the old links keep working.",
)
REMARKS = (
    "I can reproduce this.",
    "Looks related to the change in the last sprint.",
    "Picking this up today.",
    "Could we add a test for the edge case first?",
    "Fixed in the latest build, please verify.",
    "Still happening for me after the update.",
    "Moving this to the next milestone.",
    "The agent's run finished; the summary is attached.",
    "Worth checking the retry settings as well.",
    "Closing as a duplicate would lose the details, keeping it open.",
    "Added logs around the failing call.",
    "Ran the benchmark again: no regression.",
)
FIRST_NAMES = (
    "Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Ken", "Margaret", "Dennis",
    "Radia", "Linus", "Hedy", "Donald", "Karen", "John", "Sophie",
)  # fmt: skip
AGENT_NAMES = ("triage-bot", "code-reviewer", "release-helper", "docs-writer")
LABELS = (
    ("bug", "#D73A4A"),
    ("feature", "#0E8A16"),
    ("docs", "#0075CA"),
    ("ui", "#A2EEEF"),
    ("backend", "#5319E7"),
    ("performance", "#FBCA04"),
    ("security", "#B60205"),
    ("tech-debt", "#C5DEF5"),
    ("infra", "#BFD4F2"),
    ("good-first-issue", "#7057FF"),
)
PROJECTS = ("Platform", "Billing", "Mobile", "Search", "Onboarding", "Reliability")


def title(rng: random.Random) -> str:
    return (
        f"{rng.choice(VERBS)} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} "
        f"in {rng.choice(COMPONENTS)}"
    )


def description(rng: random.Random) -> str | None:
    if rng.random() < 0.1:
        return None
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(rng.sample(STEPS, 2), start=1))
    return f"{rng.choice(OBSERVATIONS)}\n\nSteps:\n{steps}\n\n{rng.choice(EXPECTATIONS)}"


def comment(rng: random.Random) -> str:
    return rng.choice(REMARKS)
