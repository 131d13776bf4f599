#!/usr/bin/env bash
# scripts/certs.sh --domain NAME [--ca-cert F --ca-key K] [DIR]: the TLS_MODE=file certificate for a deployment.
# Called by scripts/certs.sh; arguments: DOMAIN DIR [CA_CERT CA_KEY].
#
# Writes DIR/tls.crt (leaf, then the CA), DIR/tls.key and DIR/ca.crt. The files are replaced by rename, each
# complete when it appears; Traefik watches DIR and loads the new pair without a restart.
set -euo pipefail

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
    cat >"$tmp/ca.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
x509_extensions = ca_ext
[dn]
O = mcp-stack deployment
CN = mcp-stack CA for $domain
[ca_ext]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical, permitted;DNS:${domain#\*.}
CNF
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key")
    openssl req -new -x509 -config "$tmp/ca.cnf" -key "$tmp/ca.key" -sha256 -days "$ca_days" -out "$tmp/ca.crt"
    mv "$tmp/ca.key" "$ca_key"
    mv "$tmp/ca.crt" "$ca_cert"
    log "new CA for $domain: $ca_cert (give it to clients that must trust this deployment)"
  fi
fi

cat >"$tmp/leaf.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $domain
[leaf_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:$domain
CNF
(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/tls.key")
openssl req -new -config "$tmp/leaf.cnf" -key "$tmp/tls.key" -out "$tmp/tls.csr"
openssl x509 -req -in "$tmp/tls.csr" -CA "$ca_cert" -CAkey "$ca_key" -CAcreateserial -CAserial "$tmp/ca.srl" \
  -sha256 -days "$leaf_days" -extfile "$tmp/leaf.cnf" -extensions leaf_ext -out "$tmp/leaf.crt" 2>/dev/null
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
