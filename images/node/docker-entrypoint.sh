#!/bin/sh
# Same contract as the official image: `docker run IMAGE -e 'code'` or `docker run IMAGE app.js`
# runs node; any other command runs as given.
set -e
if [ "${1#-}" != "$1" ] || { [ -n "$1" ] && [ -f "$1" ] && ! command -v "$1" >/dev/null 2>&1; }; then
  set -- node "$@"
fi
exec "$@"
