import { z } from 'zod';

/** `updates:` section of depwarden.yaml. Every option carries its default and a doc line (.describe). */
export const updatesSection = z
  .object({})
  .strict()
  .describe('Options of the updates capability.');
