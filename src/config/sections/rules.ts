import { z } from 'zod';
import { SEVERITIES } from '../../model/finding.ts';

const severity = z.enum(SEVERITIES);

/** Per-rule override: turn a rule off, change its severity, or do either only under some paths. */
export const ruleOverride = z
  .object({
    enabled: z.boolean().optional().describe('false turns the rule off.'),
    severity: severity.optional().describe('Severity to report this rule at.'),
    paths: z
      .array(z.string())
      .optional()
      .describe('Glob patterns (repository-relative); the override applies only to findings in matching files.'),
  })
  .strict();

export const rulesSection = z
  .record(z.string().regex(/^DW\d{3}$/, 'rule ids look like DW001'), z.union([z.boolean(), severity, ruleOverride]))
  .default({})
  .describe('Per-rule settings keyed by rule id: true/false, a severity, or {enabled, severity, paths}.');

export const ignoreSection = z
  .array(z.string())
  .default([])
  .describe('Glob patterns of paths depwarden never reads (in addition to .gitignore and vendored folders).');

export const serviceDecl = z
  .object({
    name: z.string().min(1).describe('Service name as reported.'),
    path: z.string().min(1).describe('Service root directory, relative to the repository root.'),
  })
  .strict();

export const servicesSection = z
  .array(serviceDecl)
  .optional()
  .describe('Services listed explicitly; when absent, services are discovered.');

export const failOnSection = severity
  .default('high')
  .describe('Lowest severity that makes check/conflicts/audit exit non-zero (overridden by --fail-on).');
