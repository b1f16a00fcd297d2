"""Test certificate authority and server certificates, made with the openssl CLI.

The CA lives in one directory per test run and is shared by every registry
started there, so one trust anchor covers them all:

    CA_DIR/ca.key          CA private key (0600)
    CA_DIR/certs/ca.crt    CA certificate; CA_DIR/certs is a valid skopeo
                           --cert-dir because it contains no *.key file

Keys are ECDSA P-256 because they are fast to generate. Certificates are valid
for VALIDITY_DAYS from creation.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

VALIDITY_DAYS = 7
SERVER_NAMES = ("IP:127.0.0.1", "DNS:localhost")


@dataclass(frozen=True)
class CertificateAuthority:
    key_file: Path
    cert_file: Path

    @property
    def cert_dir(self) -> Path:
        """Directory for `skopeo --cert-dir`: it contains the CA certificate alone."""
        return self.cert_file.parent


@dataclass(frozen=True)
class ServerCertificate:
    key_file: Path
    cert_file: Path


def _openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed with exit code {result.returncode}: {result.stderr.strip()}")


def _new_key(path: Path) -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path))
    os.chmod(path, 0o600)


def ensure_ca(ca_dir: Path) -> CertificateAuthority:
    """Return the CA in ca_dir, creating it on first use.

    Concurrent callers on the same ca_dir get the same CA: each one builds a
    candidate in a temporary directory, and only the first rename wins.
    """
    ca_dir = Path(ca_dir)
    ca = CertificateAuthority(ca_dir / "ca.key", ca_dir / "certs" / "ca.crt")
    if ca.cert_file.exists():
        return ca

    ca_dir.parent.mkdir(parents=True, exist_ok=True)
    candidate = Path(tempfile.mkdtemp(prefix=".ca-", dir=ca_dir.parent))
    # mkdtemp creates 0700. The certificate must be readable by all, the key stays 0600.
    candidate.chmod(0o755)
    try:
        _write_ca(candidate)
        os.rename(candidate, ca_dir)
    except OSError:
        if not ca.cert_file.exists():
            raise
    finally:
        shutil.rmtree(candidate, ignore_errors=True)
    return ca


def _write_ca(directory: Path) -> None:
    (directory / "certs").mkdir()
    key = directory / "ca.key"
    _new_key(key)
    _openssl(
        "req", "-x509", "-new", "-key", str(key), "-out", str(directory / "certs" / "ca.crt"),
        "-days", str(VALIDITY_DAYS), "-subj", "/CN=ferry test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )


def issue_server_certificate(ca: CertificateAuthority, directory: Path) -> ServerCertificate:
    """Write server.key and server.crt, signed by ca, for 127.0.0.1 and localhost."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    server = ServerCertificate(directory / "server.key", directory / "server.crt")
    _new_key(server.key_file)

    csr = directory / "server.csr"
    _openssl("req", "-new", "-key", str(server.key_file), "-subj", "/CN=127.0.0.1", "-out", str(csr))

    extensions = directory / "server.ext"
    extensions.write_text(
        f"subjectAltName={','.join(SERVER_NAMES)}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca.cert_file), "-CAkey", str(ca.key_file),
        "-set_serial", str(secrets.randbits(63)), "-days", str(VALIDITY_DAYS),
        "-extfile", str(extensions), "-out", str(server.cert_file),
    )
    csr.unlink()
    extensions.unlink()
    return server
