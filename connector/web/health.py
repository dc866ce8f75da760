"""``GET /healthz``: 200 when the database answers (load balancers poll it)."""
from flask import Blueprint, jsonify

from connector.store.db import ping
from connector.web.current import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    if ping(runtime().engine):
        return jsonify(status="ok")
    return jsonify(status="unavailable", reason="database does not answer"), 503
