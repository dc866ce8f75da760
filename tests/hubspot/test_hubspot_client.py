"""SDK configuration (host, retries) and error translation."""
import json

import pytest
import urllib3
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.objects.tasks.exceptions import ServiceException as TasksServiceException

from connector.ports.errors import PermanentError, RetryableError, parse_retry_after
from connector.providers.hubspot.client import HubSpotClient, translate


class FakeResponse:
    def __init__(self, status, body, headers=None):
        self.status, self.reason = status, "reason"
        self.data = json.dumps(body).encode()
        self._headers = headers or {}

    def getheaders(self):
        return self._headers


def api_error(cls, status, body, headers=None):
    return cls(http_resp=FakeResponse(status, body, headers))


def test_base_url_replaces_the_host_of_every_api():
    client = HubSpotClient("tok", base_url="http://127.0.0.1:8765/")
    apis = [client.property_groups, client.properties, client.properties_batch, client.contacts,
            client.contacts_batch, client.tasks_batch, client.tasks_search, client.owners]
    for api in apis:
        config = api.api_client.configuration
        assert config.host == "http://127.0.0.1:8765"
        assert config.access_token == "tok"
        assert config.retries.total == 0     # the job runner retries, not the SDK


def test_default_host_is_hubspot():
    client = HubSpotClient.from_config({"HUBSPOT_ACCESS_TOKEN": "tok"})
    assert client.contacts.api_client.configuration.host == "https://api.hubapi.com"
    assert client.timeout == 10.0


def test_missing_token_is_permanent():
    with pytest.raises(PermanentError):
        HubSpotClient.from_config({})


@pytest.mark.parametrize("status, retryable", [(500, True), (502, True), (429, True), (423, True),
                                               (400, False), (401, False), (403, False), (404, False),
                                               (409, False)])
def test_status_decides_retryable(status, retryable):
    error = translate(api_error(ContactsApiException, status, {"category": "X"}), "contact upsert")
    assert error.retryable is retryable
    assert isinstance(error, RetryableError if retryable else PermanentError)
    assert error.status == status and f"HTTP {status}" in str(error)


def test_429_carries_retry_after_from_any_sdk_package():
    error = translate(api_error(TasksServiceException, 503, {"category": "INTERNAL_ERROR"},
                                {"Retry-After": "7"}), "task search")
    assert isinstance(error, RetryableError) and error.retry_after == 7.0
    limited = translate(api_error(ContactsApiException, 429, {"category": "RATE_LIMITS"},
                                  {"Retry-After": "3"}), "contact upsert")
    assert limited.retry_after == 3.0 and "RATE_LIMITS" in str(limited)


def test_connection_errors_are_retryable():
    error = translate(urllib3.exceptions.NewConnectionError(None, "refused"), "owner lookup")
    assert isinstance(error, RetryableError) and "connection failed" in str(error)
    assert isinstance(translate(urllib3.exceptions.ReadTimeoutError(None, "/", "timed out"), "x"), RetryableError)


def test_messages_never_carry_email_comment_or_token():
    body = {"status": "error", "category": "VALIDATION_ERROR", "correlationId": "abc-123",
            "message": 'Property values were not valid: "marie@example.com" / "Service nul" / pat-secret'}
    error = translate(api_error(ContactsApiException, 400, body), "contact upsert",
                      sensitive=("Service nul", "pat-secret"))
    text = str(error)
    assert "marie@example.com" not in text and "Service nul" not in text and "pat-secret" not in text
    assert "VALIDATION_ERROR" in text and "abc-123" in text


@pytest.mark.parametrize("value, expected", [("5", 5.0), ("0.5", 0.5), (None, None), ("soon", None)])
def test_retry_after_parsing(value, expected):
    assert parse_retry_after(value) == expected


def test_retry_after_http_date_is_in_the_future():
    assert parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT") > 0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
