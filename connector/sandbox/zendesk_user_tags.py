"""A user's tags in the Zendesk stand-in: ``PUT`` (add) and ``DELETE`` (remove) on
``/api/v2/users/{user_id}/tags``, as Zendesk's Tags API documents them.

* The body is ``{"tags": [...]}``, nothing else, a non-empty array of strings (else 400).
* Zendesk keeps tags as a set of lower-case words: adding a tag the user has changes
  nothing, and a tag with a space in it becomes several tags (we refuse it, 422, so a
  connector bug shows instead of silently tagging the wrong words).
* Add answers ``200 {"tags": [every tag of the user]}``; remove answers ``204`` without a
  body. An unknown user is ``404 RecordNotFound``.
* ``state.user_tag_calls`` counts the calls that changed something, so tests can tell a
  repeated delivery from a duplicated effect.
"""
import re

from flask import jsonify, request
from werkzeug.exceptions import BadRequest

_TAG = re.compile(r"^[^\s,]{1,80}$")


def install_user_tags(app, state) -> None:
    state.user_tag_calls = []  # (method, user id, tags) of each call that changed a user's tags

    def tags_of_body() -> list[str]:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or set(payload) != {"tags"} or not isinstance(payload["tags"], list) \
                or not payload["tags"] or not all(isinstance(t, str) for t in payload["tags"]):
            raise BadRequest("The body must be a JSON object with one key, tags: a non-empty array of strings")
        return [t.lower() for t in payload["tags"]]

    @app.route("/api/v2/users/<int:user_id>/tags.json", methods=["PUT", "DELETE"])
    @app.route("/api/v2/users/<int:user_id>/tags", methods=["PUT", "DELETE"])
    def user_tags(user_id: int):
        tags = tags_of_body()
        if not all(_TAG.match(t) for t in tags):
            return jsonify({"error": "RecordInvalid", "description": "Record validation errors",
                            "details": {"tags": [{"description": "Tags: one word each"}]}}), 422
        with state.lock:
            user = state.users.get(user_id)
            if user is None:
                return jsonify({"error": "RecordNotFound", "description": "Not found"}), 404
            before = list(user["tags"])
            if request.method == "PUT":
                user["tags"] = before + [t for t in dict.fromkeys(tags) if t not in before]
            else:
                user["tags"] = [t for t in before if t not in tags]
            if user["tags"] != before:
                state.user_tag_calls.append((request.method, user_id, tags))
            if request.method == "PUT":
                return jsonify({"tags": list(user["tags"])})
            return "", 204
