#!/bin/sh
# Same contract as the upstream image: flags (`--entrypoints...`) and Traefik subcommands
# (`version`, `healthcheck`) run Traefik; any other command runs as given.
set -e
if [ "${1#-}" != "$1" ]; then
  set -- traefik "$@"
elif [ -n "$1" ] && [ "$1" != traefik ] && traefik "$1" --help >/dev/null 2>&1; then
  set -- traefik "$@"
fi
exec "$@"
