-- What a provider told Relink at authorization and the probes need later
-- (Salesforce instance_url, QuickBooks realmId, the Xero tenant), as a
-- JSON object of non-secret strings.
ALTER TABLE integrations ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
-- A background check's failure not yet confirmed by a second one (the
-- problem seen, as JSON; '' when none): the row says "Checking again…"
-- instead of the stale healthy state.
ALTER TABLE integrations ADD COLUMN unconfirmed TEXT NOT NULL DEFAULT '';
