"""The JWT Zendesk posts to a ``signedUrls`` app page, verified without new dependencies.

Zendesk signs it RS256 with the app's private key; the public key is the app's
(``GET /api/v2/apps/{app_id}/public_key.pem``), configured as
``RECOVERY_ZENDESK_APP_PUBLIC_KEY`` (PEM). ``aud`` is the installation
(``https://{subdomain}.zendesk.com/api/v2/apps/installations/{id}.json``), checked
per installation by ``zaf_installation``; ``exp`` is required.
RSA verification is public-key arithmetic (PKCS#1 v1.5 over SHA-256), so a
few lines of ``pow`` replace PyJWT + cryptography here.
"""
import base64
import hashlib
import hmac
import json

# DigestInfo prefix of SHA-256 (RFC 8017, section 9.2, note 1).
_SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


class TokenError(ValueError):
    pass


def _b64url(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (ValueError, TypeError):
        raise TokenError("token is not base64url") from None


def _der(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """One DER element at ``pos``: (tag, content, next position)."""
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length, pos = int.from_bytes(data[pos:pos + count], "big"), pos + count
    return tag, data[pos:pos + length], pos + length


def public_key_numbers(pem: str) -> tuple[int, int]:
    """(n, e) of an RSA ``PUBLIC KEY`` (SubjectPublicKeyInfo) or ``RSA PUBLIC KEY`` PEM."""
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    der = base64.b64decode(body)
    try:
        _, spki, _ = _der(der, 0)
        tag, first, after = _der(spki, 0)
        if tag == 0x30:  # AlgorithmIdentifier, then BIT STRING holding RSAPublicKey
            _, bits, _ = _der(spki, after)
            _, rsa, _ = _der(bits[1:], 0)
        else:
            rsa = spki
        _, n, after = _der(rsa, 0)
        _, e, _ = _der(rsa, after)
    except IndexError:
        raise TokenError("public key is not an RSA PEM") from None
    return int.from_bytes(n, "big"), int.from_bytes(e, "big")


def _rs256_ok(n: int, e: int, message: bytes, signature: bytes) -> bool:
    size = (n.bit_length() + 7) // 8
    if len(signature) != size or int.from_bytes(signature, "big") >= n:
        return False
    encoded = pow(int.from_bytes(signature, "big"), e, n).to_bytes(size, "big")
    digest = _SHA256_PREFIX + hashlib.sha256(message).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
    return hmac.compare_digest(encoded, expected)


def verify_zaf_token(token: str, public_key_pem: str, *, now: float, audience: str | None = None,
                     leeway: int = 60) -> dict:
    """The token's claims, or ``TokenError`` saying why it is refused."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        raise TokenError("token is not a JWT")
    try:
        header, claims = json.loads(_b64url(parts[0])), json.loads(_b64url(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise TokenError("token is not JSON") from None
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        raise TokenError("token must be signed RS256")  # never 'none' nor HS256 with the public key
    n, e = public_key_numbers(public_key_pem)
    if not _rs256_ok(n, e, f"{parts[0]}.{parts[1]}".encode(), _b64url(parts[2])):
        raise TokenError("signature does not match")
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), (int, float)):
        raise TokenError("token has no exp")
    if claims["exp"] + leeway < now:
        raise TokenError("token has expired")
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] - leeway > now:
        raise TokenError("token is not valid yet")
    if audience is not None:
        aud = claims.get("aud")
        if audience not in (aud if isinstance(aud, list) else [aud]):
            raise TokenError("token is for another installation")
    return claims
