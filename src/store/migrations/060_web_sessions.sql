-- Dashboard sessions (src/web/sessions.ts): a browser signed in with an API token. Only sha256 of the cookie's
-- secret is kept; the token it was opened with is referenced so revoking or expiring the token ends its sessions.
-- Not history: `store migrate` does not copy it (src/store/migrate.ts TRANSIENT), a moved store starts signed out.
CREATE TABLE IF NOT EXISTS web_sessions (
  id        text PRIMARY KEY,
  hash      text NOT NULL UNIQUE,
  token_id  text NOT NULL,
  csrf      text NOT NULL,
  created   timestamptz NOT NULL DEFAULT now(),
  expires   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_token ON web_sessions (token_id);
