import { z } from 'zod';

/** `sbom:` section of depwarden.yaml. Every option carries its default and a doc line (.describe). */
export const sbomSection = z
  .object({})
  .strict()
  .describe('Options of the sbom capability.');
