"""Encryption at rest for OAuth tokens and per-tenant secrets.

``RECOVERY_ENCRYPTION_KEYS`` holds one or more Fernet keys separated by spaces.
The first encrypts; all of them decrypt (``MultiFernet``), so a new key can be
put in front, ``recovery rotate-keys`` re-encrypts every stored value with it,
and the old key is then dropped from the setting.
"""
from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EncryptionNotConfigured(RuntimeError):
    """OAuth installs store tokens: without a key there is nowhere safe to put them."""


class UnreadableSecret(RuntimeError):
    """A stored value none of the configured keys can decrypt (a key dropped too early)."""


def generate_key() -> str:
    return Fernet.generate_key().decode()


class TokenCipher:
    def __init__(self, keys: str | None):
        parts = (keys or "").split()
        if not parts:
            self._fernet = None
            return
        try:
            self._fernet = MultiFernet([Fernet(part.encode()) for part in parts])
        except ValueError:
            raise ValueError("RECOVERY_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes), "
                             "separated by spaces") from None

    @classmethod
    def from_config(cls, config) -> "TokenCipher":
        return cls(config.get("ENCRYPTION_KEYS"))

    @property
    def configured(self) -> bool:
        return self._fernet is not None

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            raise EncryptionNotConfigured("set RECOVERY_ENCRYPTION_KEYS to store OAuth installs")
        return self._fernet

    def encrypt(self, value: str | None) -> str | None:
        return None if value is None else self._require().encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        return self._unsealed("decrypt", value)

    def rotate(self, value: str | None) -> str | None:
        """The same plaintext under the first key (unchanged when it already is)."""
        return self._unsealed("rotate", value)

    def _unsealed(self, operation: str, value: str | None) -> str | None:
        """MultiFernet ``decrypt`` or ``rotate``: both must first open the ciphertext with a key."""
        if value is None:
            return None
        try:
            return getattr(self._require(), operation)(value.encode()).decode()
        except InvalidToken:
            raise UnreadableSecret("a stored token cannot be decrypted with RECOVERY_ENCRYPTION_KEYS") from None
