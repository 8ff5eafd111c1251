-- Indexes for the History view's filters. Pages are newest first by id
-- (keyset paging), so each filter index ends in id: a page is one index
-- range scan whatever the table size.
CREATE INDEX events_integration_id ON events (integration_id, id);
CREATE INDEX events_status_id ON events (new_status, id);
CREATE INDEX events_cause_id ON events (cause, id);
CREATE INDEX events_kind_id ON events (kind, id);
