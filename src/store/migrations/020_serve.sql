-- depwarden serve: registered repositories, API tokens, job runs and the snapshots that make history.
CREATE TABLE IF NOT EXISTS repos (
  name               text PRIMARY KEY,
  -- A local path (registered by path), or null when the repository is cloned from `remote` into each server's data dir.
  path               text,
  remote             text,
  branch             text,
  webhook_secret_env text,
  added              timestamptz NOT NULL DEFAULT now(),
  -- The last commit every per-commit job ran on (the branch-head poll compares against it).
  last_commit        text
);

-- Tokens are stored as sha256 of a 256-bit random secret: a leaked table gives no usable token.
CREATE TABLE IF NOT EXISTS api_tokens (
  id        text PRIMARY KEY,
  login     text NOT NULL,
  scope     text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
  hash      text NOT NULL UNIQUE,
  created   timestamptz NOT NULL DEFAULT now(),
  expires   timestamptz,
  revoked   timestamptz,
  last_used timestamptz
);

-- Every job run: what ran, on which repository and commit, and how it ended.
CREATE TABLE IF NOT EXISTS job_runs (
  id        bigserial PRIMARY KEY,
  job_id    text,
  kind      text NOT NULL,
  repo      text,
  commit    text,
  attempt   integer NOT NULL DEFAULT 1,
  worker    text NOT NULL,
  started   timestamptz NOT NULL DEFAULT now(),
  ended     timestamptz,
  outcome   text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'succeeded', 'failed', 'interrupted')),
  error     text,
  result    jsonb
);
CREATE INDEX IF NOT EXISTS job_runs_repo ON job_runs (repo, kind, id DESC);
CREATE INDEX IF NOT EXISTS job_runs_job ON job_runs (job_id);

-- One row per repository, service and commit per kind of result (check, audit, outdated, sbom). `service` is ''
-- for the repository as a whole. `summary` holds the counts series are drawn from; `detail` the records.
CREATE TABLE IF NOT EXISTS snapshots (
  id        bigserial PRIMARY KEY,
  repo      text NOT NULL,
  service   text NOT NULL,
  commit    text NOT NULL,
  kind      text NOT NULL,
  taken     timestamptz NOT NULL DEFAULT now(),
  run_id    bigint,
  summary   jsonb NOT NULL,
  detail    jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_series ON snapshots (repo, kind, service, id DESC);
