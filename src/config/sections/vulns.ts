import { z } from 'zod';

/** `vulns:` section of depwarden.yaml. */
export const vulnsSection = z
  .object({
    source: z
      .string()
      .default('https://osv-vulnerabilities.storage.googleapis.com')
      .describe('Base URL of the OSV export (<base>/<Ecosystem>/all.zip and modified_id.csv): osv.dev, a mirror, or file:///path.'),
    ecosystems: z.array(z.enum(['PyPI', 'npm'])).default(['PyPI', 'npm']).describe('Ecosystems to sync.'),
    database: z.string().optional().describe('Directory of the local advisory database (default $DEPWARDEN_HOME/osv or ~/.cache/depwarden/osv).'),
  })
  .strict()
  .describe('Vulnerability scanning against OSV advisories.');
