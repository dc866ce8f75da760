"""Configuration, read once at start into ``app.config`` (never at import time).

Environment variables ``RECOVERY_<NAME>`` become keys ``<NAME>``. A JSON file
named by ``RECOVERY_CONFIG_FILE`` may add keys; the environment wins over it.
"""
import json
import os
from pathlib import Path

PREFIX = "RECOVERY_"

DEFAULTS = {
    "DATABASE_URL": "sqlite:///recovery.db",
    "SQLITE_SLOW_WRITE_MS": 0.0,  # > 0: log SQLite write transactions holding the lock this long (store/slow_writes.py)
    "SQLITE_SYNCHRONOUS": "FULL",  # a 202 survives a power cut; NORMAL: only a process crash, faster commits
    "SANDBOX": False,
    "MAPPINGS_DIR": None,
    "PUBLIC_BASE_URL": None,  # https://connector.example.com when behind a proxy (HubSpot signs the URL)
    "WEBHOOK_TOLERANCE_SECONDS": 300,
    "MAX_BODY_BYTES": 256 * 1024,
    "WORKER_THREADS": 2,
    # `recovery serve`: gunicorn web processes and their threads, connections each may hold,
    # seconds a client has to send a request's head, and to send its next one on a kept-alive
    # connection. A stalled head costs a socket, never a thread.
    "WEB_PROCESSES": 2,
    "WEB_THREADS": 4,
    "WEB_CONNECTIONS": 4096,
    "HEADER_TIMEOUT_SECONDS": 10.0,
    "BODY_TIMEOUT_SECONDS": 30.0,  # then each read of a body, or write of an answer, may wait this long
    "KEEPALIVE_SECONDS": 5,
    "WORKER_POLL_SECONDS": 0.5,
    "JOB_LEASE_SECONDS": 120,
    "JOB_MAX_ATTEMPTS": 20,
    "JOB_BACKOFF_BASE_SECONDS": 2.0,
    "JOB_BACKOFF_CAP_SECONDS": 600.0,
    "SCHEDULER_INTERVAL_SECONDS": 15.0,
    "RECOGNITION_PUBLIC_REPLY": False,  # admin setting: send the acknowledgement to the customer
    "CALLS_ON_BUSINESS_HOURS": False,   # admin setting: call stages due at the Zendesk schedule's next opening
    "BUSINESS_HOURS_REFRESH_SECONDS": 3600.0,
    # admin setting, the holdout experiment: this share (0-1) of eligible detractors gets only the
    # recognition and the re-survey; only cases of these value tiers (never critical nor VIP).
    "HOLDOUT_SHARE": 0.0,
    "HOLDOUT_TIERS": "standard",  # how often the Zendesk schedule is fetched again
    "HUBSPOT_CALLS_PER_10S": 100,     # HubSpot's published limit for marketplace apps
    "ZENDESK_CALLS_PER_MINUTE": 700,  # Zendesk Enterprise; lower it for smaller plans
    "ZENDESK_EXPORT_CALLS_PER_MINUTE": 10,  # the incremental export's own limit (30 with High Volume)
    "TICKET_INDEX_PULL_SECONDS": 300.0,  # how often the ticket-history index pulls what events missed
    "RESURVEY_LEAD_HOURS": 24.0,  # the re-survey request goes out this long before day 60 (sent at day 60)
    "BATCH_LIMIT": 100,  # objects per vendor call and jobs per claimed group; 1 = one call per object
    # A systemic issue's members joining or landing within this many seconds share one update of
    # its problem ticket (one bulk tag update, one comment), due at the window's end; 0: one each, at once.
    "SYSTEMIC_UPDATE_SECONDS": 30.0,
    "COMPANY_ROLLUP_SECONDS": 10.0,  # a HubSpot company's roll-up is written at most once per this window; 0: at once
    # Marketplace OAuth installs (many tenants): the apps' client ids and secrets, and the keys
    # that encrypt the tenants' tokens at rest. See connector/installs.
    "HUBSPOT_CLIENT_ID": None,
    "ZENDESK_CLIENT_ID": None,
    "ZENDESK_CLIENT_SECRET": None,
    "ENCRYPTION_KEYS": None,
    "HUBSPOT_AUTHORIZE_URL": None,  # default https://app.hubspot.com/oauth/authorize
    "ZENDESK_ACCOUNT_URL": None,    # default https://{subdomain}.zendesk.com
    "HUBSPOT_PORTAL_ID": None,      # pins the environment's HubSpot account (tenant default)
    # Wrong admin tokens per client address: a burst, then this many a minute (429 past it).
    "AUTH_FAILURE_BURST": 20,
    "AUTH_FAILURES_PER_MINUTE": 20,
    "CHAT_ALLOWED_HOSTS": None,     # e.g. "hooks.slack.com *.webhook.office.com": chat posts go there only
    "DELIVERY_LOG_RETENTION_DAYS": 30,  # the delivery log is trimmed to this many days by the workers
    # Survey answers each tenant may send, per web process: a burst, then this many a minute
    # (429 with Retry-After past it; 0 turns the limit off).
    "TENANT_INTAKE_PER_MINUTE": 6000,
    "TENANT_INTAKE_BURST": 2000,
}
ADMIN_TOKEN_MIN_LENGTH = 24  # e.g. `python -c "import secrets; print(secrets.token_urlsafe(24))"` gives 32

# Values that must never reach a log line or an error message.
SECRET_KEYS = (
    "ZENDESK_API_TOKEN", "HUBSPOT_ACCESS_TOKEN", "WEBHOOK_SECRET", "ADMIN_TOKEN",
    "ZENDESK_WEBHOOK_SECRET", "HUBSPOT_CLIENT_SECRET", "TYPEFORM_SECRET",
    "SURVEYMONKEY_SECRET", "DELIGHTED_SECRET", "FORMBRICKS_SECRET", "CHAT_WEBHOOK_URL", "UI_SECRET_KEY",
    "SURVEYMONKEY_ACCESS_TOKEN", "ZENDESK_CLIENT_SECRET", "ENCRYPTION_KEYS",
    "DELIGHTED_API_KEY", "RESURVEY_WEBHOOK_URL", "RESURVEY_WEBHOOK_SECRET",
)

class ConfigError(ValueError):
    """A setting that would make every request fail: refuse to start instead."""


_BOOLEAN_WORDS = {"1": True, "true": True, "yes": True, "on": True,
                  "0": False, "false": False, "no": False, "off": False, "": False}


def _coerce(key: str, value):
    default = DEFAULTS.get(key)
    if not isinstance(value, str) or default is None:
        return value
    if isinstance(default, bool):
        if value.lower() not in _BOOLEAN_WORDS:
            raise ConfigError(f"{PREFIX}{key} must be true or false (got {value!r})")
        return _BOOLEAN_WORDS[value.lower()]
    try:
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise ConfigError(f"{PREFIX}{key} must be {kind} (got {value!r})") from None
    return value


def is_on(value) -> bool:
    """A boolean setting as configuration holds it (a bool) or a tenant set it (a string)."""
    return value if isinstance(value, bool) else _BOOLEAN_WORDS.get(str(value or "").lower(), False)


def _config_file(file_name: str) -> dict:
    try:
        loaded = json.loads(Path(file_name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{PREFIX}CONFIG_FILE={file_name}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{PREFIX}CONFIG_FILE={file_name}: cannot be read ({type(exc).__name__})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{PREFIX}CONFIG_FILE={file_name}: not valid JSON (line {exc.lineno}, "
                          f"column {exc.colno}: {exc.msg})") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{PREFIX}CONFIG_FILE={file_name}: must hold one JSON object of settings")
    return loaded


def load_config(environ=None) -> dict:
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    file_name = environ.get(f"{PREFIX}CONFIG_FILE")
    if file_name:
        config.update(_config_file(file_name))
    for name, value in environ.items():
        if name.startswith(PREFIX) and name != f"{PREFIX}CONFIG_FILE":
            config[name[len(PREFIX):]] = value
    coerced = {key: _coerce(key, value) for key, value in config.items()}
    if not 0 <= float(coerced["HOLDOUT_SHARE"] or 0) <= 1:
        raise ConfigError(f"{PREFIX}HOLDOUT_SHARE must be between 0 and 1 (got {coerced['HOLDOUT_SHARE']!r})")
    return coerced


def zendesk_configured(config) -> bool:
    return bool(config.get("ZENDESK_SUBDOMAIN") or config.get("ZENDESK_BASE_URL")) and bool(
        config.get("ZENDESK_API_TOKEN"))


def zendesk_missing(config) -> list[str]:
    """The Zendesk variables still missing once one of them is set (an account half-configured)."""
    wanted = {"ZENDESK_SUBDOMAIN": bool(config.get("ZENDESK_SUBDOMAIN") or config.get("ZENDESK_BASE_URL")),
              "ZENDESK_EMAIL": bool(config.get("ZENDESK_EMAIL")),
              "ZENDESK_API_TOKEN": bool(config.get("ZENDESK_API_TOKEN"))}
    if not any(wanted.values()):
        return []
    return [PREFIX + name for name, present in wanted.items() if not present]


def start_warnings(config) -> list[str]:
    """What works but will refuse every request of some kind: said at start, not at the first 401."""
    warnings = []
    if not config.get("WEBHOOK_SECRET"):
        warnings.append(f"{PREFIX}WEBHOOK_SECRET is not set: the generic survey webhook will answer 401 "
                        f"to every request")
    if not config.get("ADMIN_TOKEN"):
        warnings.append(f"{PREFIX}ADMIN_TOKEN is not set: the admin API and the dashboard will refuse everyone")
    return warnings


def hubspot_configured(config) -> bool:
    return bool(config.get("HUBSPOT_ACCESS_TOKEN"))


def oauth_configured(config) -> bool:
    """Marketplace installs possible: an OAuth app for a vendor and a key to keep tokens with."""
    apps = (config.get("HUBSPOT_CLIENT_ID") and config.get("HUBSPOT_CLIENT_SECRET")) or (
        config.get("ZENDESK_CLIENT_ID") and config.get("ZENDESK_CLIENT_SECRET"))
    return bool(apps and config.get("ENCRYPTION_KEYS"))


def secret_values(config) -> list[str]:
    return [str(config[key]) for key in SECRET_KEYS if config.get(key)]


def check_deployment(config, *, sandbox: bool) -> None:
    """What a server open to others must have set; raise ConfigError naming the setting.

    Run by ``recovery serve`` / ``worker`` and by ``create_app()`` under gunicorn, not by tests:
    sandbox mode (local stand-ins) is exempt."""
    if sandbox:
        return
    token = str(config.get("ADMIN_TOKEN") or "")
    if token and len(token) < ADMIN_TOKEN_MIN_LENGTH:
        raise ConfigError(f"{PREFIX}ADMIN_TOKEN is {len(token)} characters: use at least {ADMIN_TOKEN_MIN_LENGTH} "
                          "random ones (python -c 'import secrets; print(secrets.token_urlsafe(24))')")
    public = str(config.get("PUBLIC_BASE_URL") or "")
    if oauth_configured(config) and not public:
        raise ConfigError(f"{PREFIX}PUBLIC_BASE_URL is required with marketplace OAuth: the OAuth redirect "
                          "and install links are built from it, never from the request's Host header")
    if public and not public.lower().startswith(("https://", "http://")):
        raise ConfigError(f"{PREFIX}PUBLIC_BASE_URL must be an http(s) URL, e.g. https://recovery.example.com")
