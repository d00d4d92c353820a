import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeFileInside } from '../edit/atomic-write.ts';
import { resolveInside } from '../edit/paths.ts';
import type { AuditEntry } from '../governance/audit-log.ts';
import type { GateResult } from './strategies/strategy.ts';

export interface PostmortemInput {
  service: string;
  deployId: string;
  date: string;
  from: string[];
  to: string;
  change?: string;
  failed: string;
  reason: string;
  detectedAtMs?: number;
  restoredAtMs?: number;
  gates: GateResult[];
  events: AuditEntry[];
  lockChanges: string[];
  rollbackChange?: string;
  /** Other services of the same change, rolled back with this one. */
  also?: string[];
}

const short = (d: string): string => (d.startsWith('sha256:') ? `${d.slice(0, 19)}…` : d);

export function renderPostmortem(p: PostmortemInput): string {
  const lines = [
    `# Post-mortem: ${p.service} rolled back (${p.date})`,
    '',
    `Pre-filled by depwarden from the audit log (deploy \`${p.deployId}\`). Sections marked _to fill in_ are for people.`,
    '',
    '## Summary',
    '',
    `- Service: \`${p.service}\``,
    `- Versions: ${p.from.map((f) => `\`${f}\``).join(', ') || '(none: first deploy)'} → \`${p.to}\``,
    `- Change: ${p.change ? `\`${p.change}\`` : '(none named)'}`,
    ...(p.also?.length ? [`- Also rolled back (same change): ${p.also.map((s) => `\`${s}\``).join(', ')}`] : []),
    `- Failed gate: **${p.failed}** — ${p.reason}`,
    `- Detected after: ${p.detectedAtMs === undefined ? '?' : `${(p.detectedAtMs / 1000).toFixed(1)} s`}; previous version serving again after: ${p.restoredAtMs === undefined ? '?' : `${(p.restoredAtMs / 1000).toFixed(1)} s`}`,
    `- Rollback recorded as change \`${p.rollbackChange ?? '(not recorded)'}\` (class rollback; its post-update review is open)`,
    '',
    '## Timeline',
    '',
    '| time (UTC) | event | detail |',
    '| --- | --- | --- |',
    ...p.events.map((e) => `| ${e.time} | ${e.kind} | ${detail(e.payload).replace(/\|/g, '\\|')} |`),
    '',
    '## Gate results',
    '',
    ...p.gates.flatMap((g) =>
      g.gate === 'readiness'
        ? [`- readiness: ${g.ok ? 'passed' : `failed — ${g.reason ?? ''}`} (${Object.keys(g.probes).length} instance(s) probed, ${g.waitedMs} ms)`]
        : [
            `- analysis: ${g.ok ? 'passed' : `failed — ${g.reason ?? ''}`}`,
            '',
            '  | at | source | error ratio | latency p95 (ms) | result |',
            '  | --- | --- | --- | --- | --- |',
            ...g.measurements.map((m) => `  | ${(m.atMs / 1000).toFixed(1)} s | ${m.source} | ${m.errorRatio ?? '–'} | ${m.latencyP95Ms ?? '–'} | ${m.ok ? 'ok' : (m.reason ?? 'failed')} |`),
          ],
    ),
    '',
    '## Lock diff',
    '',
    ...(p.lockChanges.length ? p.lockChanges.map((c) => `- ${c}`) : ['(no change with a commit was named, or its locks did not change: nothing to compare)']),
    '',
    '## Images',
    '',
    `- from: ${p.from.map(short).join(', ') || '(none)'}`,
    `- to: ${short(p.to)}`,
    '',
    '## Root cause',
    '',
    '_to fill in_',
    '',
    '## Impact on users',
    '',
    '_to fill in_ (failed requests, affected customers)',
    '',
    '## What we change',
    '',
    '_to fill in_ (tests, gates, pins)',
    '',
  ];
  return lines.join('\n');
}

function detail(payload: unknown): string {
  if (!payload || typeof payload !== 'object') return String(payload ?? '');
  const o = payload as Record<string, unknown>;
  return Object.keys(o)
    .filter((k) => k !== 'deploy' && k !== 'service' && o[k] !== undefined)
    .sort()
    .map((k) => `${k}: ${typeof o[k] === 'string' ? short(o[k] as string) : JSON.stringify(o[k])}`)
    .join('; ')
    .slice(0, 400);
}

/**
 * Writes the post-mortem to `<folder>/<date>-<service>.md` (a second one that day gets `-2`, …), through the path
 * guard: a symbolic link on the way is refused, the file is written atomically. Returns the repository path.
 */
export function writePostmortem(root: string, folder: string, p: PostmortemInput): string {
  let rel = path.posix.join(folder, `${p.date}-${p.service}.md`);
  for (let n = 2; existsSync(resolveInside(root, rel)); n++) rel = path.posix.join(folder, `${p.date}-${p.service}-${n}.md`);
  writeFileInside(root, rel, Buffer.from(renderPostmortem(p)));
  return rel;
}
