-- Runtime health (src/health/): one sample per probe round of a service, the series the API and metrics read.
CREATE TABLE IF NOT EXISTS health_samples (
  seq      bigserial PRIMARY KEY,
  repo     text NOT NULL,
  service  text NOT NULL,
  at       text NOT NULL,
  status   text NOT NULL,
  reason   text NOT NULL,
  checks   jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS health_samples_service ON health_samples (repo, service, seq);

-- The latest sample of each service, kept beside the series so `/metrics` and "health now" read one row per
-- service instead of scanning the series.
CREATE TABLE IF NOT EXISTS health_current (
  repo     text NOT NULL,
  service  text NOT NULL,
  seq      bigint NOT NULL,
  at       text NOT NULL,
  status   text NOT NULL,
  reason   text NOT NULL,
  checks   jsonb NOT NULL,
  PRIMARY KEY (repo, service)
);

-- Which process probes a service in a time slot: the first to insert the slot's row. Several `serve` replicas on
-- one PostgreSQL thus probe each service once per interval, without a leader.
CREATE TABLE IF NOT EXISTS health_claims (
  repo     text NOT NULL,
  service  text NOT NULL,
  slot     bigint NOT NULL,
  claimed  text NOT NULL,
  PRIMARY KEY (repo, service, slot)
);
-- Hourly retention deletes by time.
CREATE INDEX IF NOT EXISTS health_samples_at ON health_samples (at);
