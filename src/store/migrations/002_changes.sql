-- Change requests and the approvals given to them.
CREATE TABLE IF NOT EXISTS changes (
  id          text PRIMARY KEY,
  title       text NOT NULL,
  class       text NOT NULL,
  author      text NOT NULL,
  digest      text NOT NULL,
  state       text NOT NULL,
  tests       boolean NOT NULL DEFAULT false,
  impact      boolean NOT NULL DEFAULT false,
  created     text NOT NULL
);
CREATE TABLE IF NOT EXISTS approvals (
  change_id   text NOT NULL REFERENCES changes(id),
  approver    text NOT NULL,
  roles       text NOT NULL,
  signature   text NOT NULL,
  time        text NOT NULL,
  PRIMARY KEY (change_id, approver)
);
