-- Alerts (src/alerts/): one row per condition (its dedup key), firing or resolved, with when it was last sent;
-- silences with an expiry; the channels a server delivers to (configuration only: secrets stay in env vars); and
-- the delivery log, which is also the delivery queue (due rows are claimed with SKIP LOCKED by any replica).
CREATE TABLE IF NOT EXISTS alerts (
  id          text PRIMARY KEY,
  dedup_key   text NOT NULL UNIQUE,
  rule        text NOT NULL,
  severity    text NOT NULL,
  state       text NOT NULL CHECK (state IN ('firing', 'resolved')),
  title       text NOT NULL,
  text        text NOT NULL,
  repo        text,
  service     text,
  group_key   text NOT NULL,
  fields      jsonb NOT NULL DEFAULT '{}',
  links       jsonb NOT NULL DEFAULT '[]',
  owners      jsonb NOT NULL DEFAULT '[]',
  -- The channels it routes to: [{fp, channel, repeatMs, groupBy, digest, oneshot}]
  targets     jsonb NOT NULL DEFAULT '[]',
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  last_sent   timestamptz,
  send_count  integer NOT NULL DEFAULT 0,
  -- Held back by a silence or an inhibition at the last evaluation: sent again as soon as it is not.
  held        text,
  resolved_at timestamptz
);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state, rule);

CREATE TABLE IF NOT EXISTS alert_silences (
  id         text PRIMARY KEY,
  matchers   jsonb NOT NULL,
  reason     text NOT NULL,
  author     text NOT NULL,
  created    timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  deleted_at timestamptz
);

CREATE TABLE IF NOT EXISTS alert_targets (
  fp        text PRIMARY KEY,
  channel   text NOT NULL,
  kind      text NOT NULL,
  config    jsonb NOT NULL,
  delivery  jsonb NOT NULL,
  root      text NOT NULL
);

CREATE TABLE IF NOT EXISTS alert_deliveries (
  id          bigserial PRIMARY KEY,
  alert_id    text,
  group_key   text NOT NULL,
  target      text NOT NULL,
  channel     text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('firing', 'resolved', 'digest', 'test')),
  message     jsonb NOT NULL,
  attempts    integer NOT NULL DEFAULT 0,
  status      text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  last_status integer,
  last_error  text,
  next_at     timestamptz NOT NULL,
  created     timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries (status, next_at);
