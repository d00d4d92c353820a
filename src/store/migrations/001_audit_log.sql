-- The tamper-evident audit trail: one row per event, each hashing its predecessor.
CREATE TABLE IF NOT EXISTS audit_log (
  seq     bigint PRIMARY KEY,
  prev    text   NOT NULL,
  hash    text   NOT NULL,
  time    text   NOT NULL,
  actor   text   NOT NULL,
  kind    text   NOT NULL,
  payload text   NOT NULL
);
