"""``create_app(test_config=None)``: configuration read once, runtime built once."""
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from connector.config import load_config, secret_values
from connector.logs import install_redaction
from connector.runtime import build_runtime


def create_app(test_config: dict | None = None, *, runtime=None) -> Flask:
    app = Flask(__name__)
    config = load_config()
    config.update(test_config or {})
    install_redaction(secret_values(config))
    app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = int(config["MAX_BODY_BYTES"])
    app.extensions["recovery"] = runtime or build_runtime(config)

    from connector.web import admin, crm_events, health, metrics, ui, webhooks
    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(crm_events.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(ui.bp)

    @app.errorhandler(HTTPException)
    def _json_errors(exc: HTTPException):
        # Every client error answers JSON, 413 included, so senders can log it.
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(error=code, message=exc.description), exc.code

    return app
