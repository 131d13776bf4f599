#!/usr/bin/env bash
# Creates the local TLS certificate Traefik serves in dev: one certificate for localhost and *.localhost
# (mcp., inspector., traefik.), signed by a local certificate authority.
#
#   scripts/certs.sh [DIR]        DIR defaults to $TLS_CERT_DIR, else ./certs (gitignored)
#   FORCE=1 scripts/certs.sh      make a new certificate even if the current one is still good
#   CERTS_TOOL=openssl            ignore an installed mkcert (tests: keep a developer's mkcert root out of them)
#
# Production/staging with TLS_MODE=file (docs/deployment.md), for any host name:
#   scripts/certs.sh --domain mcp.example.com [DIR]
#       a certificate for that name from a CA of its own in DIR (ca.key, 0600), name-constrained to that name
#   scripts/certs.sh --domain mcp.example.com --ca-cert corp-ca.crt --ca-key corp-ca.key [DIR]
#       the same, signed by an existing CA (its key is only read; ca.crt in DIR is a copy of its certificate)
#   Run again (FORCE=1 to force) to replace the certificate: Traefik serves the new one without a restart.
#   Run as root, the key is made 0600 and owned by Traefik's uid 65532; otherwise it is left 0644 in a 0755 DIR.
#
# Writes DIR/tls.crt + DIR/tls.key (what Traefik loads) and DIR/ca.crt (the CA to trust, see docs/clients.md).
# - mkcert installed: mkcert signs with its own CA (`mkcert -install` puts that CA in your trust stores).
# - otherwise: openssl makes a local CA in DIR (ca.key never leaves DIR). That CA is name-constrained to
#   localhost and loopback addresses, so even once trusted it cannot vouch for any other site.
set -euo pipefail
# shellcheck source=scripts/lib/certs.sh
. "$(dirname "$0")/lib/certs.sh"

domain='' ca_cert='' ca_key=''
while [ $# -gt 0 ]; do
  case $1 in
    --domain) domain=${2:?--domain needs a host name}; shift 2 ;;
    --ca-cert) ca_cert=${2:?--ca-cert needs a file}; shift 2 ;;
    --ca-key) ca_key=${2:?--ca-key needs a file}; shift 2 ;;
    --) shift; break ;;
    -*) echo "certs: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ -n "$domain" ]; then
  exec bash "$(dirname "$0")/certs-domain.sh" "$domain" "${1:-${TLS_CERT_DIR:-certs}}" "$ca_cert" "$ca_key"
fi

dir=${1:-${TLS_CERT_DIR:-certs}}
names=(localhost '*.localhost' mcp.localhost inspector.localhost traefik.localhost)
ips=(127.0.0.1 ::1)
leaf_days=825   # the longest validity Apple platforms accept for a TLS server certificate
ca_days=3650

log() { printf 'certs: %s\n' "$*" >&2; }

tool=${CERTS_TOOL:-auto}
case "$tool" in auto | mkcert | openssl) ;; *) log "CERTS_TOOL must be auto, mkcert or openssl (got $tool)"; exit 2 ;; esac
if [ "$tool" = mkcert ] && ! command -v mkcert >/dev/null 2>&1; then log "CERTS_TOOL=mkcert but mkcert is not installed"; exit 1; fi

mkdir -p "$dir"
chmod 755 "$dir"

# Idempotent: keep a certificate that covers our names and is valid for at least 30 more days.
if [ -z "${FORCE:-}" ] && [ -s "$dir/tls.crt" ] && [ -s "$dir/tls.key" ] && [ -s "$dir/ca.crt" ] \
  && openssl x509 -in "$dir/tls.crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1 \
  && openssl x509 -in "$dir/tls.crt" -noout -ext subjectAltName 2>/dev/null | grep -q 'DNS:\*\.localhost' \
  && openssl verify -CAfile "$dir/ca.crt" "$dir/tls.crt" >/dev/null 2>&1; then
  log "$dir/tls.crt is still valid; nothing to do (FORCE=1 to replace it)"
  exit 0
fi

if [ "$tool" != openssl ] && command -v mkcert >/dev/null 2>&1; then
  log "using mkcert ($(mkcert -CAROOT))"
  mkcert -cert-file "$dir/tls.crt" -key-file "$dir/tls.key" "${names[@]}" "${ips[@]}"
  cp "$(mkcert -CAROOT)/rootCA.pem" "$dir/ca.crt"
  trust_hint="mkcert -install"
else
  command -v openssl >/dev/null 2>&1 || { log "need mkcert or openssl"; exit 1; }
  log "mkcert not found; using openssl with a local CA in $dir"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT

  if [ -z "${FORCE:-}" ] && [ -s "$dir/ca.key" ] && [ -s "$dir/ca.crt" ] \
    && openssl x509 -in "$dir/ca.crt" -noout -checkend $((leaf_days * 86400)) >/dev/null 2>&1; then
    log "reusing the local CA in $dir (already trusted machines stay trusted)"
  else
    loopback_v6='IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'
    certs_new_ca "$tmp" "$dir/ca.key" "$dir/ca.crt" "$ca_days" $'O = mcp-stack local development\nCN = mcp-stack local CA' \
      "permitted;DNS:localhost, permitted;IP:127.0.0.0/255.0.0.0, permitted;$loopback_v6"
    log "new local CA: $dir/ca.crt (trust it once, see README)"
  fi

  san=""
  for n in "${names[@]}"; do san+="DNS:$n,"; done
  for ip in "${ips[@]}"; do san+="IP:$ip,"; done
  certs_issue_leaf "$tmp" "$dir/ca.crt" "$dir/ca.key" "$leaf_days" $'O = mcp-stack local development\nCN = localhost' \
    "${san%,}" "$tmp/tls.key" "$dir/tls.crt"
  mv "$tmp/tls.key" "$dir/tls.key"
  trust_hint="see README: Trusting the local certificate authority"
fi

# Traefik reads the key as root without CAP_DAC_OVERRIDE, so a key owned by your user must be world-readable.
# It is a dev-only key for *.localhost; the CA key (openssl mode) stays 0600.
chmod 644 "$dir/tls.crt" "$dir/tls.key" "$dir/ca.crt"
openssl verify -CAfile "$dir/ca.crt" "$dir/tls.crt" >/dev/null
log "wrote $dir/tls.crt, $dir/tls.key (valid ${leaf_days} days) and $dir/ca.crt"
log "to trust it in browsers and curl: $trust_hint"
