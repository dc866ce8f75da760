// Contact card: reads GET /hubspot/card from the connector with hubspot.fetch. HubSpot sends the
// request from its servers, signed with the app's client secret (X-HubSpot-Signature-v3, checked by
// the connector), and refuses any URL missing from permittedUrls.fetch in app-hsmeta.json (HTTPS,
// no localhost). hubspot.fetch sends no custom headers: the signature is the only credential.
import { useEffect, useState } from 'react';
import {
  Alert,
  DescriptionList,
  DescriptionListItem,
  Link,
  LoadingSpinner,
  Text,
  hubspot,
} from '@hubspot/ui-extensions';

// The connector's origin. Built with a config profile (`recovery apps build --hubspot-account`), HubSpot
// hands the profile's variables to the card (context.variables) and CONNECTOR_ORIGIN is the one
// permittedUrls.fetch names; otherwise `recovery apps build --origin` writes the deployment's origin
// here. tests/test_manifests.py keeps both equal to permittedUrls.fetch, the webhook targetUrl and the
// OAuth redirect URLs.
export const CONNECTOR_URL = "https://recovery.example.com";

const connectorOrigin = (variables?: Record<string, unknown>): string =>
  String(variables?.CONNECTOR_ORIGIN ?? CONNECTOR_URL);

interface ContactCase {
  case_id: number | null;
  incident: boolean;
  overdue: boolean;
  owner: string | null;
  score: number | null;
  stage_label: string | null;
  next_due_at: string | null;
  outcome: string | null;
  comment: string | null;
  zendesk_ticket_url: string | null;
}

hubspot.extend<'crm.record.sidebar'>(({ context }) => (
  <RecoveryCard objectId={context.crm.objectId} connector={connectorOrigin(context.variables)} />
));

const RecoveryCard = ({ objectId, connector }: { objectId: number; connector: string }) => {
  const [card, setCard] = useState<ContactCase | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    hubspot
      .fetch(`${connector}/hubspot/card?associatedObjectId=${encodeURIComponent(objectId)}`, {
        method: 'GET',
      })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((body: ContactCase) => setCard(body))
      .catch(() => setError('The recovery connector did not answer.'));
  }, [objectId, connector]);
  if (error)
    return (
      <Alert title="NPS recovery" variant="error">
        {error}
      </Alert>
    );
  if (!card) return <LoadingSpinner label="Loading the recovery case" />;
  if (!card.case_id) return <Text>No recovery case for this contact.</Text>;
  return (
    <>
      {card.incident && (
        <Alert title="Open incident" variant={card.overdue ? 'danger' : 'warning'}>
          Recovery case #{card.case_id}
        </Alert>
      )}
      <DescriptionList direction="row">
        <DescriptionListItem label="Owner">{card.owner || '—'}</DescriptionListItem>
        <DescriptionListItem label="Score">{card.score ?? '—'}</DescriptionListItem>
        <DescriptionListItem label="Stage">{card.stage_label || '—'}</DescriptionListItem>
        <DescriptionListItem label="Next due">
          {card.next_due_at ? new Date(card.next_due_at).toLocaleString() : '—'}
          {card.overdue ? ' · overdue' : ''}
        </DescriptionListItem>
        <DescriptionListItem label="Outcome">{card.outcome || '—'}</DescriptionListItem>
      </DescriptionList>
      {card.comment && <Text format={{ italic: true }}>“{card.comment}”</Text>}
      {card.zendesk_ticket_url && <Link href={card.zendesk_ticket_url}>Open the Zendesk ticket</Link>}
    </>
  );
};
