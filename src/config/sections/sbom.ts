import { z } from 'zod';

/** `sbom:` section of depwarden.yaml. Every option carries its default and a doc line (.describe). */
export const sbomSection = z
  .object({
    formats: z
      .array(z.enum(['cyclonedx-json', 'cyclonedx-xml', 'spdx-json']))
      .min(1)
      .default(['cyclonedx-json'])
      .describe('Formats `depwarden sbom` writes when -f is not given (to stdout only the first).'),
    specVersion: z.enum(['1.5', '1.6', '1.7']).default('1.6').describe('CycloneDX specification version when --spec is not given.'),
    outputDir: z
      .string()
      .optional()
      .describe('Where `depwarden sbom` writes <service>.<ext> and repository.<ext> when -o is not given (relative to the repository root); without it the repository SBOM goes to stdout.'),
  })
  .strict()
  .describe('SBOMs (CycloneDX, SPDX): default formats, specification version and output folder.');
