#!/usr/bin/env python3
"""Preflight for a production (or staging) deployment: `make deploy-check`, run first by `make deploy`.

Renders compose.prod.yaml with the deployment's env file the way `docker compose` will, then checks what Compose
cannot: secret files, the certificate in file mode, free ports, the project name. Prints one line per problem,
each saying what to do, and exits 1 when there is any. Needs only python3, docker (with Compose v2) and openssl.

    scripts/deploy/check.py [--env-file .env] [--compose-file compose.prod.yaml]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import subprocess
import sys

SERVICE_UID = SERVICE_GID = 1000  # the mcp image's user (services/mcp/Dockerfile: USER 1000:1000)
TRAEFIK_UID = TRAEFIK_GID = 65532  # compose.base.yaml: traefik user, no capabilities
DEV_PROJECT = "mcp-stack"  # compose.yaml's name: never deploy production under it
PLACEHOLDER = "your-org"

problems: list[str] = []
notes: list[str] = []


def problem(text: str) -> None:
    problems.append(text)


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env)


def read_env_file(path: str) -> dict[str, str]:
    """The KEY=VALUE lines of a Compose env file (comments, blank lines and optional quotes handled)."""
    values: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            key = key.removeprefix("export ").strip()
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            elif " #" in value:
                value = value.split(" #", 1)[0].rstrip()
            values[key] = value
    return values


def readable_by(path: str, uid: int, gid: int, need: int) -> bool:
    """Whether uid:gid (no capabilities, no supplementary groups) has the `need` bits (4 read, 1 search)."""
    st = os.stat(path)
    if st.st_uid == uid:
        bits = (st.st_mode >> 6) & 7
    elif st.st_gid == gid:
        bits = (st.st_mode >> 3) & 7
    else:
        bits = st.st_mode & 7
    return bits & need == need


def render(compose_file: str, env_file: str, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **extra}
    return run(["docker", "compose", "-f", compose_file, "--env-file", env_file, "config", "--format", "json"], env)


def missing_variables(stderr: str) -> list[tuple[str, str]]:
    """`required variable X is missing a value: hint` lines from Compose."""
    return re.findall(r"required variable (\w+) is missing a value:?\s*([^\n]*)", stderr)


def check_secrets(config: dict, env_file: str) -> None:
    for name, secret in sorted((config.get("secrets") or {}).items()):
        path = secret.get("file")
        if not path:
            continue
        fix_dir = os.path.dirname(path)
        if not os.path.exists(path):
            problem(
                f"secret {name}: {path} does not exist; create it: install -d -m 700 {fix_dir} && "
                f"printf '%s' \"$VALUE\" > {path} && chmod 644 {path}"
            )
            continue
        if not os.path.isfile(path):
            problem(f"secret {name}: {path} is not a regular file; write the value into a file there")
            continue
        try:
            with open(path, "rb") as f:
                content = f.read()
        except OSError as error:
            problem(f"secret {name}: cannot read {path} ({error.strerror}); run deploy-check as the user that deploys")
            continue
        if not content.strip():
            hint = "openssl rand -hex 32 >" if name == "mcp_auth_token" else "printf '%s' \"$KEY\" >"
            problem(
                f"secret {name}: {path} is empty (an unset variable writes an empty file); fill it: {hint} {path}"
            )
        if not readable_by(path, SERVICE_UID, SERVICE_GID, 4):
            problem(
                f"secret {name}: {path} is not readable by the service (uid {SERVICE_UID}); "
                f"chmod 644 {path} (keep {fix_dir} mode 700 so other host users stay out) or chown {SERVICE_UID} {path}"
            )


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return run(["openssl", *args])


def check_certificate(config: dict, domain: str) -> None:
    mounts = config["services"]["traefik"].get("volumes") or []
    cert_dir = next((m["source"] for m in mounts if m.get("target") == "/certs"), None)
    if not cert_dir:
        problem("TLS_MODE=file but Traefik mounts no /certs: keep compose.prod.yaml's TLS_CERT_DIR mount")
        return
    if not os.path.isdir(cert_dir):
        problem(
            f"certificate: TLS_CERT_DIR {cert_dir} does not exist; make one: "
            f"scripts/certs.sh --domain {domain or '<DOMAIN>'} {cert_dir} (or copy your tls.crt and tls.key there)"
        )
        return
    if not readable_by(cert_dir, TRAEFIK_UID, TRAEFIK_GID, 1):
        problem(f"certificate: Traefik (uid {TRAEFIK_UID}) cannot enter {cert_dir}; chmod 755 {cert_dir}")
    crt, key = os.path.join(cert_dir, "tls.crt"), os.path.join(cert_dir, "tls.key")
    present = True
    for path, what in ((crt, "certificate (PEM, leaf first, then intermediates)"), (key, "private key (PEM)")):
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            problem(f"certificate: {path} is missing or empty; put the {what} there (scripts/certs.sh --domain {domain or '<DOMAIN>'} {cert_dir} makes both)")
            present = False
        elif not readable_by(path, TRAEFIK_UID, TRAEFIK_GID, 4):
            problem(
                f"certificate: {path} is not readable by Traefik (uid {TRAEFIK_UID}, no capabilities); "
                f"chown {TRAEFIK_UID} {path} && chmod 600 {path}, or chmod 644 {path} inside a directory only you can list"
            )
    if not present:
        return
    cert_key = openssl("x509", "-in", crt, "-noout", "-pubkey")
    if cert_key.returncode != 0:
        problem(f"certificate: {crt} is not a PEM certificate ({cert_key.stderr.strip().splitlines()[-1:]}); replace it")
        return
    key_pub = openssl("pkey", "-in", key, "-pubout")
    if key_pub.returncode != 0:
        problem(f"certificate: {key} is not an unencrypted PEM private key; export it without a passphrase")
    elif key_pub.stdout.strip() != cert_key.stdout.strip():
        problem(f"certificate: {key} does not belong to {crt}; put the matching key (or certificate) in place")
    if domain and openssl("x509", "-in", crt, "-noout", "-checkhost", domain).stdout.find("does match") < 0:
        names = openssl("x509", "-in", crt, "-noout", "-ext", "subjectAltName").stdout.split("\n", 1)[-1].strip()
        problem(
            f"certificate: {crt} does not cover DOMAIN={domain} (it names: {names or 'no subjectAltName'}); "
            f"make one that does: scripts/certs.sh --domain {domain} {cert_dir}"
        )
    if openssl("x509", "-in", crt, "-noout", "-checkend", "0").returncode != 0:
        problem(f"certificate: {crt} has expired; renew it (scripts/certs.sh --domain {domain} {cert_dir})")
    elif openssl("x509", "-in", crt, "-noout", "-checkend", str(14 * 86400)).returncode != 0:
        notes.append(f"certificate: {crt} expires within 14 days; renew it (Traefik picks up the new files)")


def listening_ports() -> set[int]:
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":  # LISTEN
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def check_ports(config: dict, project: str) -> None:
    ours = run(["docker", "ps", "--filter", f"label=com.docker.compose.project={project}", "--format", "{{.Ports}}"]).stdout
    others = run(["docker", "ps", "--format", "{{.Names}}\t{{.Label \"com.docker.compose.project\"}}\t{{.Ports}}"]).stdout
    listening = listening_ports()
    for port in config["services"]["traefik"].get("ports") or []:
        published = str(port.get("published") or "")
        if not published.isdigit():
            continue  # empty: Docker picks a free port
        if re.search(rf":{published}->", ours):
            continue  # this deployment already holds it (a redeploy)
        holder = next(
            (line.split("\t")[0] for line in others.splitlines() if re.search(rf":{published}->", line)), None
        )
        if holder:
            problem(
                f"port {published} is published by container {holder}; stop it, or set "
                f"{'HTTPS_PORT' if port.get('target') == 8443 else 'HTTP_PORT'} to a free port in the env file"
            )
        elif int(published) in listening:
            problem(
                f"port {published} is already in use on this host (`ss -ltnp 'sport = :{published}'` shows by what); "
                f"free it or set {'HTTPS_PORT' if port.get('target') == 8443 else 'HTTP_PORT'} to a free port"
            )


def check_project(project: str, compose_file: str) -> None:
    if project == DEV_PROJECT:
        problem(
            f"COMPOSE_PROJECT_NAME={project} is the dev stack's project name: a production `up` would take over its "
            "containers; leave COMPOSE_PROJECT_NAME empty (mcp-stack-prod) or choose another name"
        )
        return
    files = run(
        ["docker", "ps", "-a", "--filter", f"label=com.docker.compose.project={project}",
         "--format", "{{.Label \"com.docker.compose.project.config_files\"}}"]
    ).stdout.split()
    foreign = sorted({f for f in files if os.path.basename(f.split(",")[0]) != os.path.basename(compose_file)})
    if foreign:
        problem(
            f"project {project} already has containers from {', '.join(foreign)}, not {compose_file}; "
            "choose another COMPOSE_PROJECT_NAME"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", default=os.environ.get("ENV_FILE") or ".env")
    parser.add_argument("--compose-file", default="compose.prod.yaml")
    args = parser.parse_args()
    env_file = args.env_file

    if not os.path.isfile(env_file):
        print(
            f"deploy-check: {env_file} does not exist; cp .env.example {env_file} and set DOMAIN, IMAGE_TAG, "
            "MCP_IMAGE, TLS_MODE (and ACME_EMAIL for acme): docs/deployment.md",
            file=sys.stderr,
        )
        return 1
    if run(["docker", "compose", "version"]).returncode != 0:
        print("deploy-check: `docker compose` (Compose v2) does not run; install Docker with the compose plugin", file=sys.stderr)
        return 1
    # As Compose does: a variable set in the environment wins over the env file.
    values = {**read_env_file(env_file), **os.environ}

    # Render once; for every required variable that is missing, say so and render again with a placeholder so
    # the remaining checks still run and everything is reported in one go.
    placeholders: dict[str, str] = {}
    rendered = render(args.compose_file, env_file, placeholders)
    for _ in range(10):
        missing = [m for m in missing_variables(rendered.stderr) if m[0] not in placeholders]
        if rendered.returncode == 0 or not missing:
            break
        for name, hint in missing:
            problem(f"{name} is not set: add {name}=… to {env_file} ({hint.strip() or 'required'})")
            placeholders[name] = "placeholder.invalid" if name != "ACME_EMAIL" else "placeholder@example.invalid"
        rendered = render(args.compose_file, env_file, placeholders)
    if rendered.returncode != 0:
        problem(f"{args.compose_file} does not render with {env_file}: {rendered.stderr.strip()}")
        return report()
    config = json.loads(rendered.stdout)

    tls_mode = values.get("TLS_MODE") or "acme"
    if tls_mode not in ("acme", "file"):
        problem(f"TLS_MODE={tls_mode}: must be acme (Let's Encrypt) or file (tls.crt + tls.key in TLS_CERT_DIR)")
    rule = config["services"]["mcp"].get("labels", {}).get("traefik.http.routers.mcp.rule", "")
    domain = "" if "DOMAIN" in placeholders else (re.findall(r"Host\(`([^`]+)`\)", rule) or [""])[0]

    project = config.get("name", "")
    check_project(project, args.compose_file)

    image = config["services"]["mcp"].get("image", "")
    if "IMAGE_TAG" not in placeholders and run(["docker", "image", "inspect", image]).returncode != 0:
        if PLACEHOLDER in image:
            problem(
                f"image {image} is the example's placeholder and not on this host: set MCP_IMAGE to your registry "
                "repository, or build it here with `make build`"
            )
        else:
            notes.append(f"image {image} is not on this host yet: `make deploy` pulls it (or `make build` builds it)")

    check_secrets(config, env_file)
    if tls_mode == "file":
        check_certificate(config, domain)
    check_ports(config, project)
    return report(project, image, tls_mode, domain)


def report(project: str = "", image: str = "", tls_mode: str = "", domain: str = "") -> int:
    for note in notes:
        print(f"deploy-check: note: {note}")
    for line in problems:
        print(f"deploy-check: {line}", file=sys.stderr)
    if problems:
        print(f"deploy-check: {len(problems)} problem(s); nothing was started", file=sys.stderr)
        return 1
    print(f"deploy-check: ok: project {project}, image {image}, https://{domain} (TLS {tls_mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
