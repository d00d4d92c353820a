import { z } from 'zod';

const ids = z.array(z.string()).default([]);

/** `licenses:` section of depwarden.yaml: the licence policy `check` applies to every locked package with a known licence. */
export const licensesSection = z
  .object({
    allow: ids.describe('SPDX licence ids allowed without review (e.g. MIT, Apache-2.0, BSD-3-Clause).'),
    deny: ids.describe('SPDX licence ids never allowed (DW801, high).'),
    review: ids.describe('SPDX licence ids that need a review (DW802); a licence in no list needs one too, once `allow` is set.'),
    unknown: z.enum(['ignore', 'review']).default('ignore').describe('A locked package whose licence is unknown (the lock and registry give none, or no SPDX reading): ignore, or report for review (DW803, low).'),
    services: z
      .record(z.string(), z.object({ allow: ids, deny: ids, review: ids }).strict())
      .default({})
      .describe('Per-service lists, added to the repository-wide ones (a service id in `deny` wins over the repository\'s `allow`).'),
    exceptions: z
      .array(
        z
          .object({
            package: z.string().describe('Package name (normalised like the lock: PEP 503 for PyPI).'),
            license: z.string().optional().describe('Only this licence expression of it.'),
            service: z.string().optional().describe('Only in this service.'),
            reason: z.string().min(1).describe('Why it is accepted.'),
            expires: z.iso.date().describe('YYYY-MM-DD; after it the finding comes back.'),
          })
          .strict(),
      )
      .default([])
      .describe('Accepted licence findings, each with a reason and an expiry.'),
  })
  .strict()
  .describe('Licence policy (rules DW801–DW803). Without `allow` or `deny` nothing is checked.');

export type LicensesConfig = z.infer<typeof licensesSection>;
