"""``GET /api/metrics`` (bearer ``RECOVERY_ADMIN_TOKEN``): the recovery metrics report.

``?since=YYYY-MM-DD&until=YYYY-MM-DD`` (both optional, both inclusive days,
UTC) select cases by the customer's ``submitted_at``; ``?tenant=`` one company's
cases (default: the environment's own account); see ``connector.cases.reporting``.
"""
from flask import Blueprint, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from connector.cases.reporting import metrics_report
from connector.infra import counters
from connector.installs import DEFAULT_TENANT
from connector.installs.store import known_tenant
from connector.store.db import reading
from connector.web.auth import admin_required
from connector.web.current import runtime
from connector.web.planned import plan_before_reading

bp = plan_before_reading(admin_required(Blueprint("metrics", __name__, url_prefix="/api")))


class WindowSchema(Schema):
    """Unknown parameters are refused (a misspelt ``?from=`` must not widen the report)."""

    since = fields.Date(load_default=None)
    until = fields.Date(load_default=None)
    tenant = fields.Str(load_default=DEFAULT_TENANT, validate=validate.Length(min=1, max=64))

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("must not be before since", "until")


@bp.get("/metrics")
def get_metrics():
    try:
        window = WindowSchema().load(request.args.to_dict())
    except ValidationError as exc:
        return jsonify(error="validation_failed", fields=exc.messages), 422
    tenant = window.pop("tenant")
    with reading(runtime().sessions) as session:  # a report reads: no write lock held over intake
        if not known_tenant(session, tenant):  # a typo must not read as "no cases"
            return jsonify(error="not_found", message="no such tenant"), 404
        policies = runtime().policies
        return jsonify(metrics_report(session, tenant_id=tenant, reasons=policies.failure.reasons,
                                      now=runtime().clock(), causes=policies.causes.keys, **window))


@bp.get("/metrics/requests")
def get_request_counts():
    """Requests this process refused before authentication (per route, per reason) and
    authentic traffic it ignored for want of a tenant, since it started: counted, never stored."""
    return jsonify(scope="this process since start", **counters.snapshot())
