# shellcheck shell=bash
# The certificate profile scripts/certs.sh (dev, *.localhost) and scripts/certs-domain.sh (TLS_MODE=file) share:
# EC P-256 keys, SHA-256, a CA that may sign server certificates only for the names it permits, and leaf
# certificates for TLS servers. Sourced; the caller runs with `set -euo pipefail` and gives a work directory.

# certs_new_ca WORK KEY CERT DAYS DN PERMITTED: a self-signed CA (key 0600) whose name constraints permit only
# PERMITTED ("permitted;DNS:example.com, ..."). DN: the [dn] lines of its subject ("O = ...", "CN = ...").
certs_new_ca() {
  local work=$1 key=$2 cert=$3 days=$4 dn=$5 permitted=$6
  cat >"$work/ca.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
x509_extensions = ca_ext
[dn]
$dn
[ca_ext]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical, $permitted
CNF
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key")
  openssl req -new -x509 -config "$work/ca.cnf" -key "$key" -sha256 -days "$days" -out "$cert"
}

# certs_issue_leaf WORK CA_CERT CA_KEY DAYS DN SAN KEY CERT: a TLS server certificate for SAN ("DNS:a,IP:b"),
# signed by the CA; its key is made with umask 077 (the caller sets the mode Traefik needs).
certs_issue_leaf() {
  local work=$1 ca_cert=$2 ca_key=$3 days=$4 dn=$5 san=$6 key=$7 cert=$8
  cat >"$work/leaf.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
$dn
[leaf_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $san
CNF
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key")
  openssl req -new -config "$work/leaf.cnf" -key "$key" -out "$work/leaf.csr"
  openssl x509 -req -in "$work/leaf.csr" -CA "$ca_cert" -CAkey "$ca_key" -CAcreateserial -CAserial "$work/ca.srl" \
    -sha256 -days "$days" -extfile "$work/leaf.cnf" -extensions leaf_ext -out "$cert" 2>/dev/null
}
