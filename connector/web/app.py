"""``create_app(test_config=None)``: configuration read once, runtime built once."""
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from connector.config import check_deployment, load_config, secret_values
from connector.infra.logs import install_redaction
from connector.runtime import Runtime, build_runtime, settle_heap
from connector.web import hardening, intake_limit, throttle
from connector.web.current import EXTENSION


def create_app(test_config: dict | None = None, *, runtime: Runtime | None = None) -> Flask:
    app = Flask(__name__)
    config = load_config()
    config.update(test_config or {})
    if test_config is None and runtime is None:  # a server process (gunicorn): refuse a weak set-up
        check_deployment(config, sandbox=bool(config.get("SANDBOX")))
    install_redaction(secret_values(config))
    app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = int(config["MAX_BODY_BYTES"])
    app.extensions[EXTENSION] = runtime or build_runtime(config)
    app.extensions[throttle.EXTENSION] = throttle.from_config(config)
    app.extensions[intake_limit.EXTENSION] = intake_limit.from_config(config, app.extensions[EXTENSION].clock)
    hardening.install(app)

    from connector.web import admin, crm_events, health, installations, metrics, oauth, systemic_issues, ui, webhooks
    from connector.web.tenancy import TENANT_PREFIX
    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(crm_events.bp)
    # The same endpoints for each installed tenant, verified with that tenant's own secrets.
    app.register_blueprint(webhooks.bp, url_prefix=TENANT_PREFIX + "/webhooks", name="tenant_webhooks")
    app.register_blueprint(crm_events.bp, url_prefix=TENANT_PREFIX + "/webhooks", name="tenant_crm_events")
    app.register_blueprint(oauth.bp)
    app.register_blueprint(installations.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(systemic_issues.bp)
    app.register_blueprint(ui.bp)

    @app.errorhandler(HTTPException)
    def _json_errors(exc: HTTPException):
        # Every client error answers JSON, 413 included, so senders can log it.
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(error=code, message=exc.description), exc.code

    if test_config is None and runtime is None:
        settle_heap()  # built from the environment alone: a server process (gunicorn), not a test
    return app
