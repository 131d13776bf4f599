"""Checks of the rendered chart that `helm lint` cannot make (run by lint-chart.sh with kubernetes-validate's venv).

  check_chart.py manifests RENDERED.yaml K8S_VERSION   every document against the Kubernetes API schemas (strict);
                                                       Traefik's IngressRoute (a CRD: no schema there) structurally
  check_chart.py env VALUES.yaml ENV_EXAMPLE          the chart's env keys are .env.example's service variables
"""
import re
import sys

import yaml
from kubernetes_validate import utils as kv

# Variables of .env.example the chart handles itself instead of through `env:` (secrets are mounted files, the
# port is the container port).
CHART_MANAGED = {
    "PORT",
    "MCP_AUTH_TOKEN",
    "MCP_AUTH_TOKEN_FILE",
    "OPENAI_API_KEY",
    "OPENAI_API_KEY_FILE",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_API_KEY_FILE",
}
# Sections of .env.example that configure the service (the rest configures Compose, Traefik and images).
SERVICE_SECTIONS = ("Service", "LLM")
SERVICE_EXTRAS = {"OLLAMA_MODEL"}  # lives in the Ollama section, read by the service too


def fail(message):
    print(f"check_chart: {message}", file=sys.stderr)
    return 1


def check_ingressroute(doc, services):
    """What the CRD's schema would catch that matters here, plus that it points at this release's Service."""
    problems = []
    spec = doc.get("spec") or {}
    routes = spec.get("routes") or []
    if not routes:
        problems.append("spec.routes is empty")
    for route in routes:
        if route.get("kind") != "Rule":
            problems.append(f"route kind {route.get('kind')!r} is not Rule")
        if not re.fullmatch(r"Host\(`[^`]+`\)( \|\| Host\(`[^`]+`\))*", route.get("match", "")):
            problems.append(f"route match {route.get('match')!r} is not Host(`...`) rules")
        for svc in route.get("services") or []:
            if svc.get("name") not in services:
                problems.append(f"route service {svc.get('name')!r} is not a Service of the release ({sorted(services)})")
            port = svc.get("port")
            if port not in services.get(svc.get("name"), set()):
                problems.append(f"route service port {port!r} is not a port of {svc.get('name')}")
            if svc.get("strategy") not in (None, "wrr", "p2c", "hrw", "RoundRobin"):
                problems.append(f"unknown load-balancing strategy {svc.get('strategy')!r}")
            unknown = set(svc) - {"name", "port", "strategy", "namespace", "kind", "weight", "sticky", "nativeLB"}
            if unknown:
                problems.append(f"unknown service fields {sorted(unknown)}")
    tls = spec.get("tls")
    if tls is not None and not (tls.get("secretName") or tls.get("certResolver")):
        problems.append("tls has neither secretName nor certResolver")
    if not spec.get("entryPoints"):
        problems.append("no entryPoints")
    unknown = set(spec) - {"entryPoints", "routes", "tls"}
    if unknown:
        problems.append(f"unknown spec fields {sorted(unknown)}")
    return problems


def manifests(path, k8s_version):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    if not docs:
        return fail(f"{path}: nothing rendered")
    services = {
        d["metadata"]["name"]: {p.get("name") for p in d["spec"]["ports"]} | {p["port"] for p in d["spec"]["ports"]}
        for d in docs
        if d.get("kind") == "Service"
    }
    errors = 0
    kinds = []
    for doc in docs:
        kind, name = doc.get("kind"), (doc.get("metadata") or {}).get("name")
        kinds.append(kind)
        if doc.get("apiVersion", "").startswith("traefik.io/"):
            if kind != "IngressRoute":
                errors += 1
                print(f"  {kind}/{name}: unexpected Traefik kind", file=sys.stderr)
                continue
            for problem in check_ingressroute(doc, services):
                errors += 1
                print(f"  {kind}/{name}: {problem}", file=sys.stderr)
            continue
        try:
            kv.validate(doc, k8s_version, strict=True)
        except kv.ValidationError as e:
            errors += 1
            where = ".".join(str(p) for p in e.path)
            print(f"  {kind}/{name}: {where}: {e.message}", file=sys.stderr)
        except (kv.SchemaNotFoundError, kv.InvalidSchemaError) as e:
            errors += 1
            print(f"  {kind}/{name}: no schema: {e}", file=sys.stderr)
    print(f"  {len(docs)} documents ({', '.join(sorted(set(kinds)))}): {'FAILED' if errors else 'valid'}")
    return 1 if errors else 0


def env(values_path, env_example):
    chart_keys = set((yaml.safe_load(open(values_path)).get("env") or {}).keys())
    section, service_vars = None, set()
    for line in open(env_example):
        heading = re.match(r"^# =+ (.+)$", line)
        if heading:
            section = heading.group(1).strip()
            continue
        var = re.match(r"^#? ?([A-Z][A-Z0-9_]+)=", line)
        if var and ((section or "").split(" (")[0] in SERVICE_SECTIONS or var.group(1) in SERVICE_EXTRAS):
            service_vars.add(var.group(1))
    expected = service_vars - CHART_MANAGED
    if not expected:
        return fail(f"no service variables found in {env_example} (sections {SERVICE_SECTIONS})")
    missing, extra = expected - chart_keys, chart_keys - expected
    if missing or extra:
        return fail(
            f"values.yaml env and {env_example} disagree: missing in the chart {sorted(missing)}, "
            f"not service variables of .env.example {sorted(extra)}"
        )
    print(f"  env: the chart's {len(chart_keys)} keys are .env.example's service variables")
    return 0


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    sys.exit(manifests(*args) if mode == "manifests" else env(*args))
