"""Client helpers for test registries: push with skopeo, read manifests, count requests.

Every helper takes a registry endpoint: a registry.Registry or a
registry.Endpoint loaded from a CLI state file. Credentials reach skopeo only
through 0600 auth files and never through argv.
"""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterable, NamedTuple, Protocol

MEDIA_TYPES_MANIFEST = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
OCI_DESCRIPTOR_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
)
REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name"
SKOPEO_TIMEOUT_SECONDS = 300


class RegistryEndpoint(Protocol):
    host: str  # "127.0.0.1:PORT", as used in image references
    url: str  # "http://127.0.0.1:PORT" or "https://..."
    ca_file: Path | None  # CA certificate for HTTPS, None for plain HTTP
    cert_dir: Path | None  # directory for skopeo --cert-dir, None for plain HTTP
    username: str | None
    password: str | None


class Manifest(NamedTuple):
    body: bytes
    media_type: str
    digest: str


# --- Credentials -------------------------------------------------------------


def write_private_file(path: Path, text: str) -> None:
    """Write text to a new file that is 0600 from the moment it exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(text)


def write_authfile(path: Path, registries: Iterable[RegistryEndpoint]) -> Path:
    """Write a containers-auth.json file (0600) with the credentials of registries.

    Registries without a user name get no entry. The file must not exist yet.
    """
    auths = {}
    for registry in registries:
        if registry.username:
            token = f"{registry.username}:{registry.password}".encode()
            auths[registry.host] = {"auth": base64.b64encode(token).decode()}
    write_private_file(Path(path), json.dumps({"auths": auths}, indent=2) + "\n")
    return Path(path)


# --- skopeo --------------------------------------------------------------------


def _transport_flags(prefix: str, registry: RegistryEndpoint, authfile: Path) -> list[str]:
    """Return skopeo --src-* or --dest-* flags for TLS and credentials of registry."""
    flags = []
    if registry.cert_dir:
        flags.append(f"--{prefix}-cert-dir={registry.cert_dir}")
    else:
        # skopeo uses HTTPS for 127.0.0.1 unless TLS verification is off.
        flags.append(f"--{prefix}-tls-verify=false")
    if registry.username:
        flags.append(f"--{prefix}-authfile={authfile}")
    else:
        # Without this, skopeo would fall back to ~/.docker/config.json.
        flags.append(f"--{prefix}-no-creds")
    return flags


def skopeo_copy(
    source: str,
    destination: str,
    *,
    src_registry: RegistryEndpoint | None = None,
    dest_registry: RegistryEndpoint | None = None,
    extra_args: Iterable[str] = (),
) -> str:
    """Run `skopeo copy --all --preserve-digests` and return the destination manifest digest.

    source and destination are skopeo image names (oci:DIR:TAG, docker://HOST/REPO:TAG).
    src_registry and dest_registry supply TLS and credential flags for docker:// names.
    Raises RuntimeError with skopeo's stderr when the copy fails.
    """
    with tempfile.TemporaryDirectory(prefix="ferry-skopeo-") as scratch:
        scratch_dir = Path(scratch)
        registries = [r for r in (src_registry, dest_registry) if r is not None]
        authfile = write_authfile(scratch_dir / "auth.json", registries)
        # An explicit policy keeps the copy independent of /etc/containers/policy.json.
        policy = scratch_dir / "policy.json"
        policy.write_text('{"default": [{"type": "insecureAcceptAnything"}]}\n')
        digest_file = scratch_dir / "digest"

        command = ["skopeo", f"--policy={policy}", "copy", "--all", "--preserve-digests", f"--digestfile={digest_file}"]
        if src_registry:
            command += _transport_flags("src", src_registry, authfile)
        if dest_registry:
            command += _transport_flags("dest", dest_registry, authfile)
        command += [*extra_args, source, destination]

        result = subprocess.run(command, capture_output=True, text=True, timeout=SKOPEO_TIMEOUT_SECONDS, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"skopeo copy {source} {destination} failed: {result.stderr.strip()}")
        return digest_file.read_text().strip()


def oci_layout_reference(layout_dir: Path, ref: str) -> str:
    """Return the skopeo oci: name of the manifest tagged ref in layout_dir.

    skopeo 1.9.3 finds a tag only on descriptors with an OCI media type. A
    layout whose tagged descriptor is a Docker manifest list is named without
    the tag, which skopeo accepts when index.json contains a single descriptor.
    """
    index = json.loads((Path(layout_dir) / "index.json").read_text())
    descriptors = index.get("manifests", [])
    tagged = [d for d in descriptors if d.get("annotations", {}).get(REF_NAME_ANNOTATION) == ref]
    if not tagged:
        raise ValueError(f"no descriptor tagged {ref!r} in {layout_dir}/index.json")

    if tagged[0].get("mediaType") in OCI_DESCRIPTOR_TYPES:
        return f"oci:{layout_dir}:{ref}"
    if len(descriptors) == 1:
        return f"oci:{layout_dir}"
    raise ValueError(
        f"{layout_dir}: the descriptor tagged {ref!r} has media type {tagged[0].get('mediaType')}, "
        "which skopeo cannot select by tag in a layout with several descriptors"
    )


def seed(layout_dir: Path, ref: str, registry: RegistryEndpoint, repo_tag: str, fmt: str | None = None) -> str:
    """Push the image tagged ref in an OCI layout to registry as repo_tag and return its digest.

    fmt, if given, is passed as `skopeo copy --format` (oci, v2s2). Digests are
    preserved, so skopeo fails rather than convert a manifest.
    """
    extra = [f"--format={fmt}"] if fmt else []
    return skopeo_copy(
        oci_layout_reference(layout_dir, ref),
        f"docker://{registry.host}/{repo_tag}",
        dest_registry=registry,
        extra_args=extra,
    )


# --- Registry API ------------------------------------------------------------


def _open(registry: RegistryEndpoint, request: urllib.request.Request, timeout: float):
    """Send request without proxies, trusting the registry's CA and sending Basic auth."""
    if registry.username:
        token = base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    handlers: list = [urllib.request.ProxyHandler({})]
    if registry.ca_file:
        handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(registry.ca_file))))
    return urllib.request.build_opener(*handlers).open(request, timeout=timeout)


def _manifest_request(registry: RegistryEndpoint, repo: str, ref: str, method: str, accept: Iterable[str]):
    url = f"{registry.url}/v2/{repo}/manifests/{ref}"
    return urllib.request.Request(url, method=method, headers={"Accept": ", ".join(accept)})


def get_manifest(
    registry: RegistryEndpoint, repo: str, ref: str, accept: Iterable[str] = MEDIA_TYPES_MANIFEST, timeout: float = 30
) -> Manifest:
    """GET a manifest by tag or digest. Raises urllib.error.HTTPError on 4xx and 5xx.

    Token auth is not supported: only Basic credentials are sent.
    """
    request = _manifest_request(registry, repo, ref, "GET", accept)
    with _open(registry, request, timeout) as response:
        return Manifest(response.read(), response.headers["Content-Type"], response.headers["Docker-Content-Digest"])


def manifest_digest(
    registry: RegistryEndpoint, repo: str, ref: str, accept: Iterable[str] = MEDIA_TYPES_MANIFEST, timeout: float = 30
) -> str:
    """Return the Docker-Content-Digest of a HEAD on the manifest.

    distribution 2.8.2 returns 404 for an OCI manifest whose media type is missing from accept.
    """
    request = _manifest_request(registry, repo, ref, "HEAD", accept)
    with _open(registry, request, timeout) as response:
        return response.headers["Docker-Content-Digest"]


# --- Access log --------------------------------------------------------------

# Combined log format: 127.0.0.1 - - [date] "GET /v2/ HTTP/1.1" 200 2 "" "agent"
_REQUEST_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[0-9.]+" (?P<status>\d{3}) ')


def count_requests(
    access_log: Path, method: str | None = None, path_regex: str | None = None, status: int | None = None
) -> int:
    """Count access log lines that match method, path_regex (re.search on the path with query) and status.

    The registry writes each line after it sends the response, so a count taken
    right after a client returns can miss the last request: wait_for_request_count
    covers that. The readiness probes of Registry.start appear as `GET /v2/` lines.
    """
    path_pattern = re.compile(path_regex) if path_regex else None
    count = 0
    with open(access_log, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            match = _REQUEST_LINE.search(line)
            if not match:
                continue
            if method and match["method"] != method:
                continue
            if path_pattern and not path_pattern.search(match["path"]):
                continue
            if status is not None and int(match["status"]) != status:
                continue
            count += 1
    return count


def wait_for_request_count(
    access_log: Path, expected: int, timeout: float = 5.0, **filters
) -> int:
    """Poll count_requests(access_log, **filters) until it reaches expected or timeout seconds pass.

    Returns the last count, which is lower than expected on timeout and may be
    higher when more requests matched.
    """
    deadline = time.monotonic() + timeout
    while True:
        count = count_requests(access_log, **filters)
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.02)  # polling interval, bounded by the deadline
