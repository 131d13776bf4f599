#!/usr/bin/env bash
# Debian packages the single-node test cluster runs on: etcd (from trixie, pinned low: bookworm has none), the
# CNI plugins, conntrack and socat (kube-proxy, port-forward). containerd and runc are the ones Docker's package
# set brings (scripts/ci/docker.sh). kubectl is built with the control plane (build.sh), so its version matches.
# Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/ci/lib.sh
. "$here/../ci/lib.sh"
if ! command -v conntrack >/dev/null || ! command -v socat >/dev/null || [ ! -x /usr/lib/cni/bridge ] ||
   ! command -v containerd >/dev/null || ! command -v runc >/dev/null; then
  log "installing containernetworking-plugins conntrack socat containerd runc (Debian)"
  apt_install containernetworking-plugins conntrack socat containerd runc
fi
if ! command -v etcd >/dev/null; then
  ensure_trixie_source
  log "installing etcd-server from trixie"
  apt_install -t trixie etcd-server
  # Where an init system started the packaged etcd, stop it: the cluster runs its own on other ports.
  if command -v systemctl >/dev/null && systemctl is-active -q etcd 2>/dev/null; then systemctl disable --now etcd; fi
fi
