"""``GET /healthz``: 200 when the database answers (load balancers poll it)."""
from flask import Blueprint, current_app, jsonify

from connector.store.db import ping

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    if ping(current_app.extensions["recovery"].engine):
        return jsonify(status="ok")
    return jsonify(status="unavailable", reason="database does not answer"), 503
