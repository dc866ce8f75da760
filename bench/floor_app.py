"""The floor of the connector's stack for one webhook (issue 16): what no intake can go below.

Flask verifying a Standard Webhooks signature over the raw bytes, parsing the JSON and
committing one row to SQLite in WAL mode, nothing else: no schema, no rules, no log line.
Run under gunicorn with one sync worker beside the connector by ``bench/intake_floor.py``:

    FLOOR_DATABASE=/tmp/floor.db FLOOR_SECRET=whsec_... gunicorn -w 1 'bench.floor_app:create_app()'

It answers what the connector answers: ``202 {"response_id", "case_id": null}``, ``200`` the
same for a ``response_id`` already stored, ``401`` for a bad signature. The commit is as
durable as the connector's (``synchronous`` from ``RECOVERY_SQLITE_SYNCHRONOUS``, FULL by default).
"""
import base64
import hashlib
import hmac
import json
import os
import sqlite3
import time

from flask import Flask, jsonify, request

TOLERANCE_SECONDS = 5 * 60


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def _authentic(key: bytes, headers, body: bytes) -> bool:
    msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
        return False
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
    offered = [part.partition(",")[2].encode() for part in headers.get("webhook-signature", "").split()]
    return any(hmac.compare_digest(expected, signature) for signature in offered)


def _database(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={os.environ.get('RECOVERY_SQLITE_SYNCHRONOUS', 'FULL')}")
    db.execute("PRAGMA busy_timeout=5000")
    db.execute("CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, response_id TEXT UNIQUE NOT NULL,"
               " received_at REAL NOT NULL, body TEXT NOT NULL)")
    return db


def create_app() -> Flask:
    app = Flask(__name__)
    key, db = _key(os.environ["FLOOR_SECRET"]), _database(os.environ["FLOOR_DATABASE"])

    @app.post("/webhooks/surveys/generic")
    def receive():
        body = request.get_data()
        if not _authentic(key, request.headers, body):
            return jsonify(error="invalid_signature"), 401
        payload = json.loads(body)
        answer = {"response_id": payload["response_id"], "case_id": None}
        try:
            with db:  # one transaction, one commit
                db.execute("INSERT INTO answers (response_id, received_at, body) VALUES (?, ?, ?)",
                           (payload["response_id"], time.time(), body.decode()))
        except sqlite3.IntegrityError:
            return jsonify(answer), 200
        return jsonify(answer), 202

    @app.get("/healthz")
    def health():
        return jsonify(status="ok")

    return app
