"""The generic survey webhook (contract): Standard Webhooks signature, generic body.

Body and signature are the spec's own (SPEC.md §3); ids stay unprefixed, and
the body is validated as sent.
"""
from connector.inbound import standard_webhooks
from connector.inbound.source import tolerance
from connector.inbound.sources.base import SurveySource


class GenericSource(SurveySource):
    name = "generic"
    secret_keys = ("WEBHOOK_SECRET",)

    def verify(self, config, facts, now):
        standard_webhooks.verify(self.secrets(config), facts.headers, facts.body,
                                 tolerance=tolerance(config), now=now)

    def normalize(self, payload, mapping, facts=None):
        return payload

    def delivery_id(self, headers, payload):
        return headers.get("webhook-id")
