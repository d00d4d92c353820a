import { CronExpressionParser } from 'cron-parser';
import picomatch from 'picomatch';
import type { PackageRule, UpdatesConfig } from '../config/sections/updates.ts';
import type { ProposalUpdateType } from '../model/update.ts';
import { normalizePypiName } from '../util/names.ts';
import type { Candidate } from './candidates.ts';

/** What the policy says about one candidate (and, when given, one update type). Later rules win. */
export interface EffectivePolicy {
  enabled: boolean;
  reason?: string;
  ignoreVersions: string[];
  minimumReleaseAgeDays: number;
  group?: string;
  labels: string[];
}

const matchers = new Map<string, (s: string) => boolean>();
function glob(patterns: string[]): (s: string) => boolean {
  const key = patterns.join('\0');
  let m = matchers.get(key);
  if (!m) {
    m = picomatch(patterns, { nocase: true });
    matchers.set(key, m);
  }
  return m;
}

function ruleMatches(r: PackageRule, c: Candidate, type: ProposalUpdateType | undefined): boolean {
  if (r.ecosystems && !r.ecosystems.includes(c.ecosystem)) return false;
  if (r.services && !glob(r.services)(c.service)) return false;
  if (r.packages) {
    const names = c.ecosystem === 'PyPI' ? r.packages.map(normalizePypiName) : r.packages;
    const hit = glob(names);
    // Images match by short name too ("python" as well as "docker.io/library/python").
    const alts = [c.name, c.displayName, c.name.replace(/^docker\.io\/(library\/)?/, '')];
    if (!alts.some(hit)) return false;
  }
  // A rule on update types says nothing about a candidate whose update type is not known yet.
  if (r.updateTypes && (type === undefined || !r.updateTypes.includes(type))) return false;
  return true;
}

export function effectivePolicy(cfg: UpdatesConfig, c: Candidate, type?: ProposalUpdateType): EffectivePolicy {
  const p: EffectivePolicy = { enabled: true, ignoreVersions: [], minimumReleaseAgeDays: cfg.minimumReleaseAgeDays, labels: [...cfg.labels] };
  for (const r of cfg.rules) {
    if (!ruleMatches(r, c, type)) continue;
    if (r.enabled !== undefined) p.enabled = r.enabled;
    if (r.reason !== undefined) p.reason = r.reason;
    if (r.ignoreVersions) p.ignoreVersions.push(r.ignoreVersions);
    if (r.minimumReleaseAgeDays !== undefined) p.minimumReleaseAgeDays = r.minimumReleaseAgeDays;
    if (r.group !== undefined) p.group = r.group;
    if (r.labels) p.labels.push(...r.labels);
  }
  p.labels = [...new Set(p.labels)].sort();
  return p;
}

/** Is `now` within the window after a tick of the cron schedule (in `timezone`, UTC when not given)? */
export function onSchedule(cfg: Pick<UpdatesConfig, 'schedule' | 'scheduleWindowHours'> & { timezone?: string }, now: Date): { on: boolean; last: Date; next: Date } {
  const tz = cfg.timezone ?? 'UTC';
  const it = CronExpressionParser.parse(cfg.schedule, { currentDate: new Date(now.getTime() + 1), tz });
  const last = it.prev().toDate();
  const next = CronExpressionParser.parse(cfg.schedule, { currentDate: now, tz }).next().toDate();
  return { on: now.getTime() - last.getTime() < cfg.scheduleWindowHours * 3_600_000, last, next };
}

/** Validates a cron expression for config errors. */
export function cronError(expr: string): string | undefined {
  try {
    CronExpressionParser.parse(expr, { tz: 'UTC' });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
