-- The values a history message's sentence needs ("lacks privileges:
-- {privileges}"), as a JSON object; '' when it needs none.
ALTER TABLE events ADD COLUMN params TEXT NOT NULL DEFAULT '';
