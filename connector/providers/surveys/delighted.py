"""Delighted: schedule the re-survey to the person with a delay.

``POST https://api.delighted.com/v1/people.json`` (HTTP basic auth, the API key as user name,
no password; JSON body ``{email, name, delay, properties}``) creates or updates the person
and schedules a survey ``delay`` seconds later; it answers the person with
``survey_scheduled_at``. https://app.delighted.com/docs/api/sending-to-people

The case id goes out as the person property ``recovery_case_id``: Delighted's
``survey_response`` webhook returns the person's properties (``person_properties``), and the
Delighted source reads it back as ``context.recovery_case_id``. ``locale`` is Delighted's
special property for the survey's language. The survey's own questions (and its comment
prompt) are set in the Delighted project the API key belongs to.
"""
import logging

import requests

from connector.ports.keys import RESURVEY_CASE_PROPERTY
from connector.ports.snapshots import ResurveyRequest
from connector.providers.surveys.http import post

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://api.delighted.com"


class DelightedResurvey:
    channel = "delighted"

    def __init__(self, api_key: str, base_url: str | None = None, session: requests.Session | None = None):
        self.api_key = api_key
        self.url = (base_url or DEFAULT_BASE_URL).rstrip("/") + "/v1/people.json"
        self.session = session or requests.Session()

    def body(self, request: ResurveyRequest) -> dict:
        properties = {RESURVEY_CASE_PROPERTY: str(request.case_id)}
        if request.locale:
            properties["locale"] = request.locale
        body = {"email": request.customer_email, "delay": request.delay_seconds, "properties": properties}
        if request.customer_name:
            body["name"] = request.customer_name
        return body

    def request_resurvey(self, request: ResurveyRequest) -> str:
        """Schedule the survey; answer Delighted's person id."""
        response = post(self.session, self.url, "Delighted", json=self.body(request), auth=(self.api_key, ""),
                        headers={"Accept": "application/json"})
        try:
            person = response.json()
        except ValueError:
            person = {}
        person_id = str(person.get("id") or "") if isinstance(person, dict) else ""
        log.info("delighted re-survey scheduled case_id=%s person_id=%s delay=%s",
                 request.case_id, person_id, request.delay_seconds)
        return person_id
