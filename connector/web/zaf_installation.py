"""Which Zendesk app installation a verified ZAF token speaks for.

Zendesk signs the tokens of every installation of the app with the app's one key pair: the
signature proves a token is Zendesk's, not whose it is. The claims say whose: ``aud`` is the
installation (``https://{subdomain}.zendesk.com/api/v2/apps/installations/{id}.json``) and ``iss``
its account (``{subdomain}.zendesk.com``). The sidebar opens the cases of the tenant that recorded
that account when it connected Zendesk, so each installation is checked against its own account,
never against one deployment-wide audience. A token must name exactly one installation, in the
same account as its issuer: one account's token cannot be passed off as another's.
"""
import re
from dataclasses import dataclass

from connector.web.zaf_jwt import TokenError

_SUBDOMAIN = r"([a-z0-9][a-z0-9-]{0,62})"
AUDIENCE = re.compile(rf"https://{_SUBDOMAIN}\.zendesk\.com/api/v2/apps/installations/(\d{{1,18}})\.json")
ZENDESK_ISSUER = re.compile(rf"(?:https://)?{_SUBDOMAIN}\.zendesk\.com/?")


@dataclass(frozen=True)
class ZafInstallation:
    subdomain: str
    installation_id: int
    audience: str


def installation_of(claims: dict) -> ZafInstallation:
    """The one installation the token names, or ``TokenError`` saying why it names none."""
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if len(audiences) != 1 or not isinstance(audiences[0], str):
        raise TokenError("token must name exactly one app installation")
    found = AUDIENCE.fullmatch(audiences[0])
    if found is None:
        raise TokenError("token audience is not a Zendesk app installation")
    issuer = claims.get("iss")
    on_zendesk = ZENDESK_ISSUER.fullmatch(issuer) if isinstance(issuer, str) else None
    # An issuer on zendesk.com must be the installation's account; a host-mapped account's own
    # domain says nothing about the subdomain, and the audience is signed all the same.
    if (on_zendesk and on_zendesk.group(1) != found.group(1)) or (issuer is not None and not isinstance(issuer, str)):
        raise TokenError("token issuer and audience name different accounts")
    return ZafInstallation(found.group(1), int(found.group(2)), audiences[0])
