"""Admin API for installs (bearer ``RECOVERY_ADMIN_TOKEN``, the operator of the deployment).

No token or secret value ever leaves through here: rows show accounts, expiry and the
names of the secrets a tenant has set.
"""
from flask import Blueprint, current_app, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from connector.domain.routing import RoutingSchema, as_mapping
from connector.installs import VENDORS, store
from connector.installs.directory import TENANT_SECRET_KEYS
from connector.store.db import transaction
from connector.store.tenancy import Installation, Tenant
from connector.web.admin import _iso
from connector.web.auth import admin_required
from connector.web.current import runtime

bp = admin_required(Blueprint("installations", __name__, url_prefix="/api"))
_URL = validate.URL(schemes={"http", "https"}, require_tld=False, error="Not a valid http(s) URL.")


def _empty_or_url(value: str) -> None:
    from connector.providers.chat.guard import BlockedDestination, ChatPolicy

    if value:  # an empty value removes the setting
        _URL(value)
        try:  # where the worker would post: https, a public address, an allowed host
            ChatPolicy.from_config(current_app.config).check_setting(value)
        except BlockedDestination as exc:
            raise ValidationError(str(exc)) from None


def _holdout_share(value: str) -> None:
    try:
        if value and not 0 <= float(value) <= 1:
            raise ValueError
    except ValueError:
        raise ValidationError("a number between 0 and 1") from None


def _holdout_tiers(value: str) -> None:
    unknown = set(value.replace(",", " ").split()) - {"standard", "high"}
    if unknown:  # critical is never held out
        raise ValidationError("value tiers among standard, high")


_VALIDATORS = {"CHAT_WEBHOOK_URL": _empty_or_url,
               "CALLS_ON_BUSINESS_HOURS": validate.OneOf(("true", "false", ""), error="true or false"),
               "HOLDOUT_SHARE": _holdout_share, "HOLDOUT_TIERS": _holdout_tiers}

# Every setting a string; an unknown name is refused, not stored.
TenantSecretsSchema = Schema.from_dict(
    {key: fields.Str(validate=_VALIDATORS.get(key, _empty_or_url if key.endswith("_WEBHOOK_URL") else None))
     for key in TENANT_SECRET_KEYS}, name="TenantSecretsSchema")



@bp.get("/installations")
def list_installations():
    rt = runtime()
    with transaction(rt.sessions) as session:
        tenants = {t.id: t for t in session.scalars(select(Tenant))}
        rows = session.scalars(select(Installation).order_by(Installation.tenant_id, Installation.vendor)).all()
        out = {tid: {"tenant": tid, "name": t.name, "secrets": sorted(store.tenant_secrets(session, rt.directory.cipher, tid)),
                     "vendors": {}} for tid, t in tenants.items()}
        for row in rows:
            out.setdefault(row.tenant_id, {"tenant": row.tenant_id, "name": None, "secrets": [], "vendors": {}})
            out[row.tenant_id]["vendors"][row.vendor] = {
                "account": row.account, "scopes": row.scopes, "installed_at": _iso(row.installed_at),
                "expires_at": _iso(row.expires_at), "refreshed_at": _iso(row.refreshed_at)}
    return jsonify(installations=list(out.values()))


@bp.delete("/installations/<tenant>/<vendor>")
def uninstall(tenant, vendor):
    """Disconnect: tokens deleted, the tenant's pending work for that vendor cancelled."""
    if vendor not in VENDORS:
        return jsonify(error="unknown_vendor", message=f"one of: {', '.join(VENDORS)}"), 404
    rt = runtime()
    with transaction(rt.sessions) as session:
        row = store.installation(session, tenant, vendor)
        access, refresh = _readable(rt.directory.cipher, row)
        account = row.account if row is not None else None
        counts = store.purge(session, tenant, vendor, rt.clock(), "uninstalled by the admin")
    rt.directory.forget(tenant)
    if not counts["installations"]:
        return jsonify(error="not_found", message="no such installation"), 404
    counts["revoked_at_vendor"] = _revoke(vendor, access, refresh, account)
    return jsonify(counts)


def _readable(cipher, row) -> tuple[str | None, str | None]:
    """The row's tokens for revoking at the vendor; none when a key is lost (uninstall goes on)."""
    from connector.installs.crypto import UnreadableSecret

    try:
        return (cipher.decrypt(row.access_token), cipher.decrypt(row.refresh_token)) if row else (None, None)
    except UnreadableSecret:
        return None, None


def _revoke(vendor: str, access_token: str | None, refresh_token: str | None, account: str) -> bool:
    """Ask the vendor to forget the grant too (best effort: our copy is already gone)."""
    from connector.installs.oauth import oauth_client
    from connector.ports.errors import SyncError

    client = oauth_client(vendor, current_app.config)
    if not client.configured:
        return False
    try:
        return client.revoke(access_token, refresh_token, account)
    except SyncError as exc:
        current_app.logger.warning("revoking the %s grant failed: %s", vendor, exc)
        return False


@bp.put("/tenants/<tenant>/secrets")
def set_secrets(tenant):
    """Set a tenant's webhook signing secrets and chat webhook; answers the names now set, never the values."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        return jsonify(error="validation_failed", message="send a JSON object of secrets"), 422
    try:
        body = TenantSecretsSchema().load(body)
    except ValidationError as exc:
        return jsonify(error="validation_failed", message="some fields are invalid", fields=exc.messages), 422
    rt = runtime()
    with transaction(rt.sessions) as session:
        if session.get(Tenant, tenant) is None:
            return jsonify(error="not_found", message="no such tenant"), 404
        names = sorted(store.set_tenant_secrets(session, rt.directory.cipher, tenant, body))
    rt.directory.forget(tenant)
    return jsonify(tenant=tenant, secrets=names)


@bp.get("/tenants/<tenant>/routing")
def get_routing(tenant):
    """Who owns the tenant's cases: its own routing, or the deployment's (``source`` says which)."""
    rt = runtime()
    with transaction(rt.sessions) as session:
        if session.get(Tenant, tenant) is None:
            return jsonify(error="not_found", message="no such tenant"), 404
        own = store.tenant_routing(session, tenant)
    routing = own if own is not None else as_mapping(rt.policies.routing)
    return jsonify(tenant=tenant, source="tenant" if own is not None else "deployment", **routing)


@bp.put("/tenants/<tenant>/routing")
def set_routing(tenant):
    """The tenant's own case owners per value tier, in the format of ``mappings/routing.json``."""
    body = request.get_json(silent=True)
    try:
        routing = RoutingSchema().load(body if isinstance(body, dict) else {})
    except ValidationError as exc:
        return jsonify(error="validation_failed", message="some fields are invalid", fields=exc.messages), 422
    return _store_routing(tenant, as_mapping(routing))


@bp.delete("/tenants/<tenant>/routing")
def reset_routing(tenant):
    """Back to the deployment's routing."""
    return _store_routing(tenant, None)


def _store_routing(tenant: str, routing: dict | None):
    rt = runtime()
    with transaction(rt.sessions) as session:
        if session.get(Tenant, tenant) is None:
            return jsonify(error="not_found", message="no such tenant"), 404
        store.set_tenant_routing(session, tenant, routing)
    rt.directory.forget(tenant)
    return get_routing(tenant)


ConnectLinkSchema = Schema.from_dict({"replace": fields.Bool(load_default=False)}, name="ConnectLinkSchema")


@bp.post("/tenants/<tenant>/connect/<vendor>")
def connect_link(tenant, vendor):
    """A one-hour, single-use link that connects ``vendor`` to an existing tenant (sent to its
    admin), bound to the first browser that opens it. ``{"replace": true}`` is the operator's
    confirmation that it may switch the tenant to another account of that vendor."""
    from connector.web.oauth import join_link

    if vendor not in VENDORS:
        return jsonify(error="unknown_vendor", message=f"one of: {', '.join(VENDORS)}"), 404
    try:
        options = ConnectLinkSchema().load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        return jsonify(error="validation_failed", message="some fields are invalid", fields=exc.messages), 422
    rt = runtime()
    with transaction(rt.sessions) as session:
        if session.get(Tenant, tenant) is None:
            return jsonify(error="not_found", message="no such tenant"), 404
        url = join_link(session, vendor, tenant, rt.clock(), may_replace=options["replace"])
    return jsonify(url=url, single_use=True, replaces=options["replace"])
