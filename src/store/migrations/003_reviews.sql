-- Post-update reviews owed by changes merged through the emergency lane.
CREATE TABLE IF NOT EXISTS reviews (
  change_id     text PRIMARY KEY REFERENCES changes(id),
  role          text NOT NULL,
  due           text NOT NULL,
  reason        text NOT NULL,
  signed_off_by text,
  signed_off_at text
);
