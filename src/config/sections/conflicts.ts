import { z } from 'zod';

/** `conflicts:` section of depwarden.yaml. Every option carries its default and a doc line (.describe). */
export const conflictsSection = z
  .object({})
  .strict()
  .describe('Options of the conflicts capability.');
