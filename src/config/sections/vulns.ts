import { z } from 'zod';

export const DEFAULT_MAX_DATABASE_AGE_DAYS = 7;

/** `vulns:` section of depwarden.yaml. */
export const vulnsSection = z
  .object({
    source: z
      .string()
      .default('https://osv-vulnerabilities.storage.googleapis.com')
      .describe('Base URL of the OSV export (<base>/<Ecosystem>/all.zip and modified_id.csv): osv.dev, a mirror, or file:///path.'),
    ecosystems: z.array(z.enum(['PyPI', 'npm'])).default(['PyPI', 'npm']).describe('Ecosystems to sync.'),
    database: z.string().optional().describe('Directory of the local advisory database (default $DEPWARDEN_HOME/osv or ~/.cache/depwarden/osv).'),
    maxDatabaseAgeDays: z
      .number()
      .positive()
      .default(DEFAULT_MAX_DATABASE_AGE_DAYS)
      .describe("Days after an ecosystem's newest advisory (its newest `modified`) at which audit and check report its data as stale (DW205)."),
  })
  .strict()
  .describe('Vulnerability scanning against OSV advisories.');
