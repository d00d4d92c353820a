-- The commit a change proposes (its digest is computed from it) and the store's own identity, which every
-- governance signature covers so that a signature made for one store does not count in another.
ALTER TABLE changes ADD COLUMN IF NOT EXISTS commit text NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS store_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO store_meta (key, value) VALUES ('store_id', gen_random_uuid()::text) ON CONFLICT (key) DO NOTHING;
