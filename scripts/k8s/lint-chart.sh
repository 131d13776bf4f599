#!/usr/bin/env bash
# Static checks of the Helm chart (deploy/kubernetes/mcp-stack), run by `make lint`:
#  1. `helm lint --strict` with every documented values variant (ci/*-values.yaml, the test's values);
#  2. each variant rendered with `helm template` and every document validated against the Kubernetes API schemas
#     of the test cluster's minor version (PyPI kubernetes-validate, strict: unknown fields are errors). Traefik's
#     IngressRoute is a CRD without a schema there: it is checked structurally (scripts/k8s/check_chart.py);
#  3. the chart's `env:` keys are .env.example's service variables, and the drain time the chart assumes when
#     SHUTDOWN_GRACE_SECONDS is empty is the service's own default (services/mcp/src/config);
#  4. what must be refused is refused: an unknown env key (values.schema.json), openai without a key.
# helm comes from build.sh (Go module, cached); kubernetes-validate from PyPI into a cached venv.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/ci/lib.sh
. "$here/../ci/lib.sh"
# shellcheck source=scripts/k8s/versions.sh
. "$here/versions.sh"
cd "$root" || exit 1
chart=deploy/kubernetes/mcp-stack

bash "$here/build.sh" helm >/dev/null || { echo "lint-chart: could not build helm $HELM_VERSION" >&2; exit 1; }
venv="$MCP_STACK_CACHE/k8s/validate-venv-$KUBERNETES_VALIDATE_VERSION"
if [ ! -f "$venv/.complete" ]; then
  log "installing kubernetes-validate==$KUBERNETES_VALIDATE_VERSION into $venv"
  rm -rf "$venv"
  pip_args=(--quiet --disable-pip-version-check --no-input)
  [ -f /etc/ssl/certs/ca-certificates.crt ] && pip_args+=(--cert /etc/ssl/certs/ca-certificates.crt)
  { python3 -m venv "$venv" && "$venv/bin/pip" install "${pip_args[@]}" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"; } ||
    { echo "lint-chart: could not install kubernetes-validate" >&2; exit 1; }
  touch "$venv/.complete"
fi
helm=$HELM_BIN
py="$venv/bin/python"
k8s_minor=$(echo "$K8S_VERSION" | sed -E 's/^v([0-9]+\.[0-9]+)\..*/\1.0/')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
bad() { echo "lint-chart: FAILED — $*" >&2; failed=1; }

variants=("$chart"/ci/*-values.yaml test/k8s/values.yaml)
for values in "${variants[@]}"; do
  echo "chart variant $values"
  "$helm" lint --strict "$chart" -f "$values" --namespace mcp --kube-version "$K8S_VERSION" > "$tmp/lint.out" 2>&1 ||
    { cat "$tmp/lint.out" >&2; bad "helm lint --strict -f $values"; continue; }
  "$helm" template lint-release "$chart" -f "$values" --namespace mcp --kube-version "$K8S_VERSION" \
    > "$tmp/rendered.yaml" 2> "$tmp/template.err" || { cat "$tmp/template.err" >&2; bad "helm template -f $values"; continue; }
  "$py" "$here/check_chart.py" manifests "$tmp/rendered.yaml" "$k8s_minor" || bad "manifests of $values"
done

"$py" "$here/check_chart.py" env "$chart/values.yaml" .env.example || bad "chart env vs .env.example"

# The drain time the chart assumes for an empty SHUTDOWN_GRACE_SECONDS must be the service's default.
rendered_grace=$("$helm" template x "$chart" --kube-version "$K8S_VERSION" -f "$chart/ci/default-values.yaml" -s templates/deployment.yaml |
  sed -n 's/^ *terminationGracePeriodSeconds: //p')
pre_stop=$(sed -n 's/^preStopSleepSeconds: //p' "$chart/values.yaml")
if ! service_grace=$(node --input-type=module -e \
  "import { loadConfig } from './services/mcp/src/config/index.ts'; console.log(loadConfig({}).shutdownGraceSeconds)" \
  2> "$tmp/config.err") || [ -z "$service_grace" ]; then
  bad "could not read the service's config with node $(node --version) (needs $(cat .node-version)): $(grep -m1 "Error" "$tmp/config.err" || head -c 300 "$tmp/config.err")"
elif [ "$rendered_grace" != $((pre_stop + service_grace + 10)) ]; then
  bad "terminationGracePeriodSeconds $rendered_grace is not preStop $pre_stop + the service's SHUTDOWN_GRACE_SECONDS default $service_grace + 10"
else
  echo "  terminationGracePeriodSeconds $rendered_grace = preStop $pre_stop + service drain default $service_grace + 10"
fi

# Refusals: a misspelt env key, and the openai provider without any key.
if "$helm" template x "$chart" -f "$chart/ci/default-values.yaml" --set env.MCP_STATELES=true > /dev/null 2>&1; then
  bad "values.schema.json accepted an unknown env key (env.MCP_STATELES)"
fi
if "$helm" template x "$chart" > /dev/null 2> "$tmp/nokey.err" || ! grep -q 'needs an API key' "$tmp/nokey.err"; then
  bad "the chart rendered LLM_PROVIDER=openai without an API key (or without saying so)"
fi
# Secrets given as values must never appear in NOTES.
# (`helm template` does not render NOTES and a dry-run install wants a cluster: render NOTES.txt as the body of a
# ConfigMap in a copy of the chart.)
cp -r "$chart" "$tmp/notes-chart"
{ printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: |\n'
  sed 's/^/    /' "$chart/templates/NOTES.txt"; } > "$tmp/notes-chart/templates/notes-as-configmap.yaml"
rm "$tmp/notes-chart/templates/NOTES.txt"
"$helm" template x "$tmp/notes-chart" --namespace mcp --set llm.apiKey=sk-never-print-me \
  --set auth.token=never-print-this-token --set ingress.enabled=true --set 'ingress.hosts={mcp.example.com}' \
  --show-only templates/notes-as-configmap.yaml > "$tmp/notes.out" 2>&1
if ! grep -q 'bearer token' "$tmp/notes.out"; then
  cat "$tmp/notes.out" >&2
  bad "NOTES.txt did not render"
elif grep -q 'never-print' "$tmp/notes.out"; then
  bad "NOTES.txt prints a secret value"
fi

[ $failed = 0 ] && echo "lint-chart: ${#variants[@]} variants lint, render and validate against Kubernetes $k8s_minor schemas"
exit $failed
