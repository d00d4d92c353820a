-- Deploy records (depwarden deploy): one row per rollout, written when it starts and updated as it ends, so an
-- interrupted deploy is found by the next run. And the image digests a known-good state ran healthy with.
CREATE TABLE IF NOT EXISTS deploys (
  id          text PRIMARY KEY,
  service     text NOT NULL,
  driver      text NOT NULL,
  strategy    text NOT NULL,
  from_image  text NOT NULL,
  to_image    text NOT NULL,
  change_id   text,
  outcome     text NOT NULL,
  gates       text NOT NULL,
  started     text NOT NULL,
  finished    text,
  duration_ms bigint,
  detail      text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS deploys_service ON deploys (service, started);
ALTER TABLE known_good ADD COLUMN IF NOT EXISTS images text NOT NULL DEFAULT '{}';
