import { z } from 'zod';

/** `governance:` section of depwarden.yaml. Every option carries its default and a doc line (.describe). */
export const governanceSection = z
  .object({})
  .strict()
  .describe('Options of the governance capability.');
