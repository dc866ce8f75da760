"""Where the project's data folders are: the checkout's in development, the
installed copy (``<prefix>/share/recovery-connector/…``) after ``pip install .``."""
import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]
_INSTALLED = Path(sys.prefix) / "share" / "recovery-connector"


def data_folder(name: str) -> Path:
    """``mappings`` or ``webhooks/samples``."""
    in_checkout = _CHECKOUT / name
    return in_checkout if in_checkout.is_dir() else _INSTALLED / name
