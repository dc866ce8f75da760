"""Zendesk's bulk ticket jobs in the stand-in: ``POST /api/v2/tickets/create_many``,
``PUT /api/v2/tickets/update_many?ids=`` and ``GET /api/v2/job_statuses/{id}``, as strict as
Zendesk on what the connector uses.

* At most 100 tickets per request (more, or none: 400); the body is ``{"tickets": [...]}``.
* The answer is a ``job_status`` (``queued``, no results), never the tickets: the work runs
  in the background. Like Zendesk the tickets are created whether or not anyone polls, so a
  client that dies before polling still finds them by ``external_id``.
* ``Idempotency-Key`` is not supported on this endpoint (Zendesk honours it on single
  ticket creation only): a replayed request creates the tickets again.
* The job status shows ``completed`` once ``state.job_delay`` seconds have passed (0: at
  the first poll); each result is ``{"index", "id"}`` for a created ticket (the documented
  bulk-create shape) or ``{"index", "error", "details"}`` for a rejected one.
"""
import time
import uuid

from flask import jsonify, request
from werkzeug.exceptions import BadRequest

from connector.sandbox.zendesk_state import RecordInvalid

BULK_LIMIT = 100


def install_bulk_tickets(app, state) -> None:
    state.jobs = {}          # job id -> {"status": ..., "ready_at": monotonic, "results": [...]}
    state.job_delay = 0.0    # seconds a job stays "working" before it shows completed

    def job_view(job_id: str, job: dict) -> dict:
        done = time.monotonic() >= job["ready_at"]
        return {"id": job_id, "job_type": "bulk_create_tickets", "total": job["total"],
                "progress": job["total"] if done else 0, "status": "completed" if done else "working",
                "message": "Completed" if done else None, "results": job["results"] if done else None,
                "url": f"{request.host_url}api/v2/job_statuses/{job_id}.json"}

    @app.post("/api/v2/tickets/create_many.json")
    @app.post("/api/v2/tickets/create_many")
    def create_many():
        payload = request.get_json(silent=True)
        tickets = payload.get("tickets") if isinstance(payload, dict) and set(payload) == {"tickets"} else None
        if not isinstance(tickets, list) or not tickets or not all(isinstance(t, dict) for t in tickets):
            raise BadRequest("The body must be a JSON object with one key, tickets: a list of ticket objects")
        if len(tickets) > BULK_LIMIT:
            raise BadRequest(f"Too many tickets: {len(tickets)}, at most {BULK_LIMIT} per request")
        results = []
        with state.lock:
            for index, data in enumerate(tickets):
                try:
                    ticket, _ = state.create_ticket(data)
                    results.append({"index": index, "id": ticket["id"]})
                except RecordInvalid as exc:
                    results.append({"index": index, "error": "RecordInvalid",
                                    "details": "; ".join(sorted(exc.details))})
            job_id = uuid.uuid4().hex
            state.jobs[job_id] = {"total": len(tickets), "results": results,
                                  "ready_at": time.monotonic() + state.job_delay}
            view = job_view(job_id, state.jobs[job_id])
        view.update(status="queued", progress=None, results=None, message=None)
        return jsonify({"job_status": view}), 200

    @app.put("/api/v2/tickets/update_many.json")
    @app.put("/api/v2/tickets/update_many")
    def update_many():
        """One change to up to 100 tickets named by ``?ids=``: ``{"ticket": {...}}``, each ticket
        updated as a single update would be; results ``{"id", "action", "success", "status"}``."""
        payload = request.get_json(silent=True)
        change = payload.get("ticket") if isinstance(payload, dict) and set(payload) == {"ticket"} else None
        try:
            ids = [int(part) for part in request.args.get("ids", "").split(",") if part]
        except ValueError:
            raise BadRequest("ids must be a comma-separated list of ticket ids") from None
        if not isinstance(change, dict) or not ids:
            raise BadRequest("The body must be a JSON object with one key, ticket, and ?ids= name the tickets")
        if len(ids) > BULK_LIMIT:
            raise BadRequest(f"Too many tickets: {len(ids)}, at most {BULK_LIMIT} per request")
        results = []
        with state.lock:
            for ticket_id in ids:
                try:
                    if ticket_id not in state.tickets:
                        raise RecordInvalid({"id": "Ticket: not found"})
                    state.update_ticket(ticket_id, dict(change))
                    results.append({"id": ticket_id, "action": "update", "success": True, "status": "Updated"})
                except RecordInvalid as exc:
                    results.append({"id": ticket_id, "action": "update", "success": False,
                                    "status": "Failed", "error": "; ".join(sorted(exc.details))})
            job_id = uuid.uuid4().hex
            state.jobs[job_id] = {"total": len(ids), "results": results,
                                  "ready_at": time.monotonic() + state.job_delay}
            view = job_view(job_id, state.jobs[job_id])
        view.update(status="queued", progress=None, results=None, message=None, job_type="bulk_update")
        return jsonify({"job_status": view}), 200

    @app.get("/api/v2/job_statuses/<job_id>.json")
    @app.get("/api/v2/job_statuses/<job_id>")
    def job_status(job_id: str):
        with state.lock:
            job = state.jobs.get(job_id)
            if job is None:
                return jsonify({"error": "RecordNotFound", "description": "Not found"}), 404
            return jsonify({"job_status": job_view(job_id, job)})
