import type { OutdatedEntry } from '../model/update.ts';
import type { LookupFailure, UnreachableHost } from '../updates/lookup.ts';

/** `depwarden outdated` as a table, JSON or Markdown (SARIF goes through the finding renderers). */
export interface OutdatedView {
  entries: OutdatedEntry[];
  failures: LookupFailure[];
  /** Hosts that could not be reached: one line each, with the lookups they left undone. */
  unreachable?: UnreachableHost[];
  /** Declarations looked at (entries may be only the outdated ones). */
  checked: number;
}

const COLUMNS = ['service', 'package', 'file', 'current', 'allowed', 'latest', 'type', 'age (d)', 'libyears', 'note'] as const;

function row(e: OutdatedEntry): string[] {
  return [
    e.service,
    e.name,
    `${e.file}:${e.span.line}`,
    e.current ?? e.declared,
    e.allowed ? `${e.allowed}${e.digest ? `@${e.digest.slice(0, 14)}` : ''}` : '-',
    e.latest ?? '-',
    e.updateType ?? '-',
    e.releaseAgeDays !== undefined ? String(e.releaseAgeDays) : '-',
    e.libyears !== undefined ? e.libyears.toFixed(2) : '-',
    [e.currentYanked ? 'CURRENT YANKED' : '', e.currentDeprecated ? `deprecated: ${e.currentDeprecated}` : '', e.note ?? ''].filter(Boolean).join('; '),
  ];
}

export function renderOutdatedTable(v: OutdatedView): string {
  const rows = v.entries.map(row);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const lines = rows.length ? [fmt(COLUMNS), ...rows.map(fmt)] : [];
  for (const f of v.failures) lines.push(`${f.ruleId ? `${f.ruleId} ${f.severity!.toUpperCase()}` : 'LOOKUP FAILED'}  ${f.service}  ${f.name}  ${f.file}: ${f.message}`);
  for (const h of v.unreachable ?? []) lines.push(unreachableLine(h));
  lines.push(summaryLine(v));
  return `${lines.join('\n')}\n`;
}

export function unreachableLine(h: UnreachableHost): string {
  return `UNREACHABLE  ${h.host}: ${h.lookups} lookup${h.lookups === 1 ? '' : 's'} not done: ${h.cause}`;
}

export function summaryLine(v: OutdatedView): string {
  const down = (v.unreachable ?? []).reduce((n, h) => n + h.lookups, 0);
  const byType = new Map<string, number>();
  for (const e of v.entries) if (e.updateType) byType.set(e.updateType, (byType.get(e.updateType) ?? 0) + 1);
  const parts = [...byType].sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, n]) => `${n} ${t}`);
  const libyears = v.entries.reduce((s, e) => s + (e.libyears ?? 0), 0);
  return `outdated: ${v.checked} checked, ${parts.length ? parts.join(', ') : 'nothing to update'}; ${libyears.toFixed(2)} libyears behind${v.failures.length ? `; ${v.failures.length} lookup${v.failures.length === 1 ? '' : 's'} FAILED` : ''}${down ? `; ${down} lookup${down === 1 ? '' : 's'} not done (${v.unreachable!.map((h) => h.host).join(', ')} unreachable)` : ''}.`;
}

/** Bump on any breaking change of the outdated JSON (docs/updates.md). */
export const OUTDATED_SCHEMA_VERSION = 1;

export function renderOutdatedJson(v: OutdatedView): string {
  return `${JSON.stringify({ schemaVersion: OUTDATED_SCHEMA_VERSION, checked: v.checked, entries: v.entries, failures: v.failures, ...(v.unreachable?.length ? { unreachable: v.unreachable } : {}) }, null, 2)}\n`;
}

export function renderOutdatedMarkdown(v: OutdatedView): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`| ${COLUMNS.join(' | ')} |`, `| ${COLUMNS.map(() => '---').join(' | ')} |`, ...v.entries.map((e) => `| ${row(e).map(esc).join(' | ')} |`)];
  for (const f of v.failures) lines.push('', `- **${f.ruleId ? `${f.ruleId} ${f.severity}` : 'lookup failed'}**: ${esc(f.service)} ${esc(f.name)} (${esc(f.file)}): ${esc(f.message)}`);
  for (const h of v.unreachable ?? []) lines.push('', `- **unreachable**: ${esc(h.host)}: ${h.lookups} lookups not done: ${esc(h.cause)}`);
  lines.push('', summaryLine(v));
  return `${lines.join('\n')}\n`;
}
