#!/bin/sh
# Container entrypoint: `serve` runs the service, `migrate` applies its SQL migrations and exits.
set -eu

if [ -z "${SERVICE:-}" ]; then
  echo "SERVICE is not set (build with --build-arg SERVICE=<name> or pass -e SERVICE=<name>)" >&2
  exit 64
fi

case "${1:-serve}" in
  serve) exec node "/app/services/$SERVICE/dist/main.js" ;;
  migrate) exec node "/app/services/$SERVICE/dist/migrate.js" ;;
  *) exec "$@" ;;
esac
