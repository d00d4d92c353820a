-- CI build status and test coverage (src/builds/). One row per build key, updated in place as a run moves
-- (queued → in_progress → success); `seq` is renewed on each change, so history and cursors follow the latest change.
CREATE TABLE IF NOT EXISTS builds (
  seq           bigserial UNIQUE,
  repo          text NOT NULL,
  service       text NOT NULL DEFAULT '',
  commit        text NOT NULL,
  branch        text,
  workflow      text NOT NULL,
  source        text NOT NULL,
  status        text NOT NULL,
  url           text,
  updated       text NOT NULL,
  recorded      text NOT NULL,
  tests_run     integer,
  tests_failed  integer,
  tests_skipped integer,
  failing_tests jsonb,
  PRIMARY KEY (repo, commit, workflow, service)
);
CREATE INDEX IF NOT EXISTS builds_repo_branch ON builds (repo, branch, seq);

CREATE TABLE IF NOT EXISTS coverage (
  seq              bigserial UNIQUE,
  repo             text NOT NULL,
  service          text NOT NULL DEFAULT '',
  commit           text NOT NULL,
  branch           text,
  format           text NOT NULL,
  lines_covered    integer NOT NULL,
  lines_total      integer NOT NULL,
  branches_covered integer,
  branches_total   integer,
  base_branch      text NOT NULL,
  base_commit      text,
  line_delta       double precision,
  branch_delta     double precision,
  recorded         text NOT NULL,
  PRIMARY KEY (repo, service, commit)
);
CREATE INDEX IF NOT EXISTS coverage_repo_branch ON coverage (repo, service, branch, seq);

-- Pull requests seen by the webhook: a commit's base branch, for coverage deltas of branches that are not main.
CREATE TABLE IF NOT EXISTS build_pull_requests (
  repo        text NOT NULL,
  number      integer NOT NULL,
  head_branch text NOT NULL,
  head_commit text NOT NULL,
  base_branch text NOT NULL,
  state       text NOT NULL,
  updated     text NOT NULL,
  PRIMARY KEY (repo, number)
);

-- Every accepted X-GitHub-Delivery id: a replayed delivery is refused.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  delivery_id text PRIMARY KEY,
  event       text NOT NULL,
  repo        text,
  received    text NOT NULL
);
