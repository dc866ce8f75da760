// Company card: reads GET /hubspot/company-card from the connector with hubspot.fetch, signed by
// HubSpot with the app's client secret (X-HubSpot-Signature-v3) exactly like the contact card.
import { useEffect, useState } from 'react';
import {
  Alert,
  DescriptionList,
  DescriptionListItem,
  Link,
  LoadingSpinner,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  Text,
  hubspot,
} from '@hubspot/ui-extensions';

// Same origin as RecoveryCard.tsx: the profile's CONNECTOR_ORIGIN, else the one the build writes here
// (tests/test_manifests.py keeps it equal to permittedUrls.fetch).
export const CONNECTOR_URL = "https://recovery.example.com";

const connectorOrigin = (variables?: Record<string, unknown>): string =>
  String(variables?.CONNECTOR_ORIGIN ?? CONNECTOR_URL);

interface Incident {
  case_id: number;
  contact: string;
  stage_label: string | null;
  owner: string | null;
  next_due_at: string | null;
  overdue: boolean;
  zendesk_ticket_url: string | null;
}

interface AccountCases {
  open_incidents: number;
  nps_account_score: number | null;
  trend: { nps: number | null }[];
  incidents: Incident[];
}

hubspot.extend<'crm.record.tab'>(({ context }) => (
  <AccountCard objectId={context.crm.objectId} connector={connectorOrigin(context.variables)} />
));

const nps = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : String(value);

const AccountCard = ({ objectId, connector }: { objectId: number; connector: string }) => {
  const [card, setCard] = useState<AccountCases | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    hubspot
      .fetch(
        `${connector}/hubspot/company-card?associatedObjectId=${encodeURIComponent(objectId)}`,
        { method: 'GET' }
      )
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((body: AccountCases) => setCard(body))
      .catch(() => setError('The recovery connector did not answer.'));
  }, [objectId, connector]);
  if (error)
    return (
      <Alert title="NPS recovery" variant="error">
        {error}
      </Alert>
    );
  if (!card) return <LoadingSpinner label="Loading the account's recovery cases" />;
  return (
    <>
      <DescriptionList direction="row">
        <DescriptionListItem label="Open incidents">{card.open_incidents}</DescriptionListItem>
        <DescriptionListItem label="Account NPS (12 months)">
          {nps(card.nps_account_score)}
        </DescriptionListItem>
        <DescriptionListItem label="Trend by quarter">
          {card.trend.map((point) => nps(point.nps)).join(' → ') || '—'}
        </DescriptionListItem>
      </DescriptionList>
      {card.incidents.length === 0 ? (
        <Text>No open recovery case on this account.</Text>
      ) : (
        <Table>
          <TableHead>
            <TableRow>
              <TableHeader>Contact</TableHeader>
              <TableHeader>Stage</TableHeader>
              <TableHeader>Owner</TableHeader>
              <TableHeader>Next due</TableHeader>
            </TableRow>
          </TableHead>
          <TableBody>
            {card.incidents.map((incident) => (
              <TableRow key={incident.case_id}>
                <TableCell>
                  {incident.zendesk_ticket_url ? (
                    <Link href={incident.zendesk_ticket_url}>{incident.contact}</Link>
                  ) : (
                    incident.contact
                  )}
                </TableCell>
                <TableCell>{incident.stage_label || '—'}</TableCell>
                <TableCell>{incident.owner || '—'}</TableCell>
                <TableCell>
                  {incident.next_due_at ? new Date(incident.next_due_at).toLocaleString() : '—'}
                  {incident.overdue ? ' · overdue' : ''}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
};
