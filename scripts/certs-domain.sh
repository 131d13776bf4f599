#!/usr/bin/env bash
# scripts/certs.sh --domain NAME [--ca-cert F --ca-key K] [DIR]: the TLS_MODE=file certificate for a deployment.
# Called by scripts/certs.sh; arguments: DOMAIN DIR [CA_CERT CA_KEY].
#
# Writes DIR/tls.crt (leaf, then the CA), DIR/tls.key and DIR/ca.crt. The files are replaced by rename, each
# complete when it appears; Traefik watches DIR and loads the new pair without a restart.
set -euo pipefail
# shellcheck source=scripts/lib/certs.sh
. "$(dirname "$0")/lib/certs.sh"

domain=$1 dir=$2 ca_cert=${3:-} ca_key=${4:-}
leaf_days=${LEAF_DAYS:-397}   # what public CAs issue at most; renew well before
ca_days=3650
log() { printf 'certs: %s\n' "$*" >&2; }

[[ $domain =~ ^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || { log "not a host name: $domain"; exit 2; }
command -v openssl >/dev/null 2>&1 || { log "need openssl"; exit 1; }
if [ -n "$ca_cert$ca_key" ] && { [ ! -s "$ca_cert" ] || [ ! -s "$ca_key" ]; }; then
  log "--ca-cert and --ca-key must both name readable files"; exit 2
fi

mkdir -p "$dir"
chmod 755 "$dir"
tmp=$(mktemp -d "$dir/.certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ -z "${FORCE:-}" ] && [ -s "$dir/tls.crt" ] && [ -s "$dir/tls.key" ] \
  && openssl x509 -in "$dir/tls.crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1 \
  && openssl x509 -in "$dir/tls.crt" -noout -checkhost "$domain" 2>/dev/null | grep -q 'does match'; then
  log "$dir/tls.crt covers $domain for 30 more days at least; nothing to do (FORCE=1 to replace it)"
  exit 0
fi

if [ -z "$ca_cert" ]; then
  ca_cert=$dir/ca.crt ca_key=$dir/ca.key
  if [ -s "$ca_key" ] && [ -s "$ca_cert" ] && openssl x509 -in "$ca_cert" -noout -subject | grep -qF "CA for $domain" \
    && openssl x509 -in "$ca_cert" -noout -checkend $((leaf_days * 86400)) >/dev/null 2>&1; then
    log "reusing the CA in $dir (clients that trust it keep trusting the new certificate)"
  else
    # A CA of this deployment alone: name constraints limit it to DOMAIN and its subdomains, so trusting it
    # (clients, the smoke test) vouches for nothing else even if ca.key leaked.
    certs_new_ca "$tmp" "$tmp/ca.key" "$tmp/ca.crt" "$ca_days" \
      $'O = mcp-stack deployment\nCN = mcp-stack CA for '"$domain" "permitted;DNS:${domain#\*.}"
    mv "$tmp/ca.key" "$ca_key"
    mv "$tmp/ca.crt" "$ca_cert"
    log "new CA for $domain: $ca_cert (give it to clients that must trust this deployment)"
  fi
fi

certs_issue_leaf "$tmp" "$ca_cert" "$ca_key" "$leaf_days" "CN = $domain" "DNS:$domain" "$tmp/tls.key" "$tmp/leaf.crt"
openssl verify -CAfile "$ca_cert" "$tmp/leaf.crt" >/dev/null
cat "$tmp/leaf.crt" "$ca_cert" >"$tmp/tls.crt"
[ "$ca_cert" = "$dir/ca.crt" ] || cp "$ca_cert" "$tmp/ca.crt"

# Traefik runs as uid 65532 without capabilities: it reads the key as that user, never as root.
if [ "$(id -u)" = 0 ]; then
  chown 65532:65532 "$tmp/tls.key"
  chmod 600 "$tmp/tls.key"
else
  chmod 644 "$tmp/tls.key"
  log "not root: tls.key is 0644 so Traefik (uid 65532) can read it; as root: chown 65532 tls.key && chmod 600 tls.key"
fi
chmod 644 "$tmp/tls.crt"
# Key first, then certificate: each rename is atomic, and Traefik reloads on the last one.
mv "$tmp/tls.key" "$dir/tls.key"
[ -f "$tmp/ca.crt" ] && mv "$tmp/ca.crt" "$dir/ca.crt"
mv "$tmp/tls.crt" "$dir/tls.crt"
log "wrote $dir/tls.crt (for $domain, valid $leaf_days days) and $dir/tls.key; CA: $dir/ca.crt"
# A running production Traefik re-reads its configuration, and so these files, when this file changes
# (compose.prod.yaml mounts traefik/dynamic as a directory). Harmless when nothing runs.
touch "$(dirname "$0")/../traefik/dynamic/tls.yml" 2>/dev/null || true
