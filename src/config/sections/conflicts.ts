import { z } from 'zod';

const action = z.enum(['allow', 'warn', 'fail']);

/** `conflicts:` section of depwarden.yaml. */
export const conflictsSection = z
  .object({
    drift: action.default('warn').describe('The same package at different versions across services: allow (no finding), warn (low), fail (high).'),
    driftPackages: z
      .record(z.string(), action)
      .default({})
      .describe('Per-package override of `drift`, keyed by normalised package name (PEP 503 for PyPI) or image repository.'),
  })
  .strict()
  .describe('Conflict detection: lock consistency and cross-service drift.');
