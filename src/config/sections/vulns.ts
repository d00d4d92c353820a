import { z } from 'zod';

/** `vulns:` section of depwarden.yaml. Every option carries its default and a doc line (.describe). */
export const vulnsSection = z
  .object({})
  .strict()
  .describe('Options of the vulns capability.');
