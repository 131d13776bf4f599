#!/usr/bin/env bash
# FastMCP for the bench's peer row, in a virtualenv cached per version under /var/cache/mcp-stack (PyPI through
# the machine's own pip configuration). A second run finds it and does nothing.
set -euo pipefail
version=4.1.6
venv=${BENCH_FASTMCP_VENV:-/var/cache/mcp-stack/fastmcp-$version}
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import fastmcp, sys; sys.exit(fastmcp.__version__ != '$version')" 2>/dev/null; then
    exit 0
fi
command -v python3 >/dev/null || { echo "bench: python3 is needed for the FastMCP peer (apt-get install -y python3-venv)" >&2; exit 1; }
echo "bench: installing fastmcp $version into $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "fastmcp==$version"
