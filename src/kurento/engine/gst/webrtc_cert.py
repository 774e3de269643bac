"""DTLS certificates for ``certificateKeyType`` (reference §2.2 WebRtcEndpoint).

webrtcbin makes its own RSA certificate. ECDSA peers need one of ours: some
WebRTC stacks (aiortc, for one) offer only ECDHE-ECDSA ciphers, so against an
RSA server certificate the handshake ends in "no shared cipher". One
certificate per key type per process, as KMS does; generated on first use
(worker thread: it may take a moment).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import subprocess

from ..contract import WebRtcError

VALID_DAYS = 365


@functools.lru_cache(maxsize=2)
def certificate_pem(key_type: str) -> str:
    """Certificate + private key, PEM; '' means webrtcbin's own (RSA) certificate."""
    if key_type != "ECDSA":
        return ""
    try:
        return _with_cryptography()
    except ImportError:
        return _with_openssl()


def _with_cryptography() -> str:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kurento")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return (cert.public_bytes(serialization.Encoding.PEM) + key_pem).decode("ascii")


def _with_openssl() -> str:
    command = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", "-", "-out", "-", "-subj", "/CN=kurento", "-days", str(VALID_DAYS),
    ]
    try:
        done = subprocess.run(command, capture_output=True, check=True, timeout=10, text=True)
    except (OSError, subprocess.SubprocessError) as error:
        raise WebRtcError(f"cannot make an ECDSA certificate: {error}") from None
    return done.stdout


def fingerprint(pem: str) -> str:
    """``sha-256 AA:BB:...`` of the certificate in ``pem``, as SDP's a=fingerprint wants."""
    body = pem.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----")[0]
    digest = hashlib.sha256(base64.b64decode("".join(body.split()))).hexdigest().upper()
    return "sha-256 " + ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def with_fingerprint(sdp: str, pem: str) -> str:
    """``sdp`` announcing ``pem``'s certificate.

    webrtcbin 1.22 computes the fingerprint from the certificate it made before
    ours replaced it in the DTLS decoder, so the text must be corrected.
    """
    line = "a=fingerprint:" + fingerprint(pem)
    return "\r\n".join(line if old.startswith("a=fingerprint:") else old
                       for old in sdp.split("\r\n"))
