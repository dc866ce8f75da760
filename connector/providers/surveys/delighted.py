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

A retry (an earlier attempt may have been scheduled before its answer was lost) first looks
the person up (``GET /v1/people.json?email=``,
https://app.delighted.com/docs/api/listing-people): a survey already scheduled from about
the re-survey's time on (``next_survey_scheduled_at``) is that attempt's, and is not asked
for twice.
"""
import logging

import requests

from connector.ports.keys import RESURVEY_CASE_PROPERTY
from connector.ports.snapshots import ResurveyRequest
from connector.providers.surveys.http import call, post

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://api.delighted.com"
SCHEDULE_SLACK_SECONDS = 3600  # an earlier attempt asked for a send time up to this much earlier


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

    def scheduled_before(self, request: ResurveyRequest) -> str | None:
        """The person id when a survey is already scheduled for the re-survey's time."""
        response = call(self.session, "GET", self.url, "Delighted", params={"email": request.customer_email},
                        auth=(self.api_key, ""), headers={"Accept": "application/json"})
        try:
            people = response.json()
        except ValueError:
            return None
        earliest = request.send_at.timestamp() - SCHEDULE_SLACK_SECONDS
        for person in people if isinstance(people, list) else []:
            at = person.get("next_survey_scheduled_at") if isinstance(person, dict) else None
            if isinstance(at, int | float) and not isinstance(at, bool) and at >= earliest:
                return str(person.get("id") or "")
        return None

    def request_resurvey(self, request: ResurveyRequest, first_attempt: bool) -> str:
        """Schedule the survey; answer Delighted's person id."""
        if not first_attempt:
            found = self.scheduled_before(request)
            if found is not None:
                log.info("delighted re-survey already scheduled case_id=%s person_id=%s", request.case_id, found)
                return found
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
