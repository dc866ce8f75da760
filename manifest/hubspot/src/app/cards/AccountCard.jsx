// Company card: reads GET /hubspot/company-card from the connector with hubspot.fetch, signed by
// HubSpot with the app's client secret (X-HubSpot-Signature-v3) exactly like the contact card.
import React, { useEffect, useState } from "react";
import {
  Alert, DescriptionList, DescriptionListItem, Link, LoadingSpinner, Table, TableBody, TableCell, TableHead,
  TableHeader, TableRow, Text, hubspot,
} from "@hubspot/ui-extensions";

// Same origin as RecoveryCard.jsx (tests/test_manifests.py keeps it equal to permittedUrls.fetch).
export const CONNECTOR_URL = "https://recovery.example.com";

hubspot.extend(({ context }) => <AccountCard context={context} />);

const nps = (value) => (value === null || value === undefined ? "—" : String(value));

const AccountCard = ({ context }) => {
  const [card, setCard] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const companyId = context.crm.objectId;
    hubspot.fetch(`${CONNECTOR_URL}/hubspot/company-card?associatedObjectId=${encodeURIComponent(companyId)}`, { method: "GET" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then(setCard)
      .catch(() => setError("The recovery connector did not answer."));
  }, [context.crm.objectId]);
  if (error) return <Alert title="NPS recovery" variant="error">{error}</Alert>;
  if (!card) return <LoadingSpinner label="Loading the account's recovery cases" />;
  return (
    <>
      <DescriptionList direction="row">
        <DescriptionListItem label="Open incidents">{card.open_incidents}</DescriptionListItem>
        <DescriptionListItem label="Account NPS (12 months)">{nps(card.nps_account_score)}</DescriptionListItem>
        <DescriptionListItem label="Trend by quarter">{card.trend.map((p) => nps(p.nps)).join(" → ") || "—"}</DescriptionListItem>
      </DescriptionList>
      {card.incidents.length === 0 ? <Text>No open recovery case on this account.</Text> : (
        <Table>
          <TableHead>
            <TableRow>
              <TableHeader>Contact</TableHeader><TableHeader>Stage</TableHeader>
              <TableHeader>Owner</TableHeader><TableHeader>Next due</TableHeader>
            </TableRow>
          </TableHead>
          <TableBody>
            {card.incidents.map((i) => (
              <TableRow key={i.case_id}>
                <TableCell>{i.zendesk_ticket_url ? <Link href={i.zendesk_ticket_url}>{i.contact}</Link> : i.contact}</TableCell>
                <TableCell>{i.stage_label || "—"}</TableCell>
                <TableCell>{i.owner || "—"}</TableCell>
                <TableCell>{i.next_due_at ? new Date(i.next_due_at).toLocaleString() : "—"}{i.overdue ? " · overdue" : ""}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
};
