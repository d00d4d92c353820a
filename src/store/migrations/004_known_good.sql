-- Last known good state of each service: the commit, the checks that proved it, and its dependency files.
CREATE TABLE IF NOT EXISTS known_good (
  service   text NOT NULL,
  commit    text NOT NULL,
  recorded  text NOT NULL,
  checks    text NOT NULL,
  files     text NOT NULL,
  PRIMARY KEY (service, recorded)
);
