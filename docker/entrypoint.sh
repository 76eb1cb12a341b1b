#!/bin/sh
# The container's entrypoint: migrate once when RUN_DB_MIGRATIONS=true, then start the server
# (or run the command given instead, e.g. `praisonai-platform db current`).
#
# Migrating here, before the server starts, means `serve --workers N` does not start N
# migrations at once; the server itself is then told not to migrate again.
set -eu

case "$(printf '%s' "${RUN_DB_MIGRATIONS:-false}" | tr '[:upper:]' '[:lower:]')" in
  true | 1 | yes | on)
    praisonai-platform db upgrade
    RUN_DB_MIGRATIONS=false
    export RUN_DB_MIGRATIONS
    ;;
esac

if [ "$#" -eq 0 ]; then
  set -- praisonai-platform serve
fi
exec "$@"
