"""Survey webhooks. The rejection checklist runs in order, one status per reason:

413 too large -> 401 signature -> 415 not JSON -> 400 unparsable -> 422 invalid
-> 202 stored (or 200 already stored). Nothing is written before the last step.
"""
import json
import logging

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError

from connector import intake
from connector.inbound import standard_webhooks
from connector.inbound.schemas import validate_answer
from connector.web.deliveries import note, record_deliveries

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
record_deliveries(bp, lambda req: (req.view_args or {}).get("vendor") or req.path.rstrip("/").rsplit("/", 1)[-1])


def _reject(status: int, error: str, message: str, **extra):
    log.info("delivery rejected status=%s reason=%s", status, error)
    note("rejected", f"{error}: {message}" if status in (401, 415) else error)
    return jsonify(error=error, message=message, **extra), status


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


@bp.post("/surveys/generic")
def generic_survey():
    rt = current_app.extensions["recovery"]
    raw = request.get_data(cache=True)  # 413 raised here past MAX_CONTENT_LENGTH
    secrets = (current_app.config.get("WEBHOOK_SECRET") or "").split()
    if not secrets:
        return _reject(401, "invalid_signature", "RECOVERY_WEBHOOK_SECRET is not configured")
    try:
        standard_webhooks.verify(secrets, request.headers, raw,
                                 tolerance=int(current_app.config["WEBHOOK_TOLERANCE_SECONDS"]),
                                 now=lambda: rt.clock().timestamp())
    except standard_webhooks.SignatureError as exc:
        return _reject(401, "invalid_signature", str(exc))
    if not _is_json(request.mimetype):
        return _reject(415, "unsupported_media_type", "send Content-Type: application/json")
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _reject(400, "invalid_json", f"body is not JSON: {exc.msg if hasattr(exc, 'msg') else 'bad encoding'}")
    try:
        data = validate_answer(payload)
    except ValidationError as exc:
        return _reject(422, "validation_failed", "some fields are invalid", fields=exc.messages)
    result = intake.accept(rt.sessions, rt.rules, data, source="generic", now=rt.clock())
    if result.status == 202:
        rt.notify()
    return jsonify(result.body), result.status
