import { z } from 'zod';
import type { Store } from '../store/store.ts';
import { MAX_FAILING } from './records.ts';
import { recordBuild, recordCoverage, type StoredCoverage } from './store.ts';

/**
 * What `depwarden report build|coverage` sends (POST /api/v1/builds, /api/v1/coverage) or writes directly with
 * --data: summaries parsed on the CI machine, never the raw report files. One schema for both paths.
 */
const name = z.string().min(1).max(200).regex(/^[^\0-\x1f]+$/, 'no control characters');
const commit = z.string().regex(/^[0-9a-f]{7,64}$/, 'a commit SHA (hex)');

export const reportedBuildSchema = z
  .object({
    repo: name,
    commit,
    branch: name.nullable().default(null),
    workflow: name.default('depwarden report'),
    service: z.string().max(200).default(''),
    status: z.enum(['success', 'failure']),
    url: z.string().url().max(2000).nullable().default(null),
    tests: z
      .object({
        run: z.number().int().min(0),
        failed: z.number().int().min(0),
        skipped: z.number().int().min(0),
        failing: z.array(z.string().max(1000)).max(MAX_FAILING),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ReportedBuild = z.input<typeof reportedBuildSchema>;

export const reportedCoverageSchema = z
  .object({
    repo: name,
    commit,
    branch: name.nullable().default(null),
    service: z.string().max(200).default(''),
    baseBranch: name.optional(),
    format: z.enum(['lcov', 'cobertura']),
    linesCovered: z.number().int().min(0),
    linesTotal: z.number().int().min(0),
    branchesCovered: z.number().int().min(0).nullable(),
    branchesTotal: z.number().int().min(0).nullable(),
  })
  .strict()
  .refine((c) => c.linesCovered <= c.linesTotal && (c.branchesCovered ?? 0) <= (c.branchesTotal ?? 0), 'covered exceeds total');
export type ReportedCoverage = z.input<typeof reportedCoverageSchema>;

export async function storeReportedBuild(store: Store, input: unknown, now: string): Promise<void> {
  const b = reportedBuildSchema.parse(input);
  await store.transaction((q) => recordBuild(q, { ...b, source: 'report', updated: now, ...(b.tests ? { tests: b.tests } : {}) }, now));
}

export async function storeReportedCoverage(store: Store, input: unknown, now: string): Promise<StoredCoverage> {
  const { baseBranch, ...c } = reportedCoverageSchema.parse(input);
  return store.transaction((q) => recordCoverage(q, c, now, baseBranch));
}
