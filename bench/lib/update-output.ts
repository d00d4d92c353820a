/**
 * `depwarden update` (applied, not a dry run) read back from its text output (src/report/plan.ts): one block per
 * change (header, one line per update, the outcome, an optional error) and the deferred rows of the plan table.
 * The command has no JSON output; the text is its documented interface and the format is stable.
 */

export interface UpdateLine {
  service: string;
  name: string;
  from: string;
  to: string;
  type: string;
  file: string;
}

export interface ChangeResult {
  slug: string;
  class: string;
  lane: string;
  updates: UpdateLine[];
  status: string;
  error?: string;
}

export interface DeferredRow {
  changes: number;
  updates: number;
  reason: string;
  slugs: string[];
}

export interface UpdateRunOutput {
  changes: ChangeResult[];
  deferred: DeferredRow[];
  /** "not planned:" lines (security fixes the plan could not place) and lookup failures. */
  notes: string[];
  /** The closing summary line, when present (its absence means the run stopped early). */
  summary?: string;
}

const HEADER = /^(\S+) {2}\[([^,\]]+), (\S+) lane\] {2}/;
// Columns are two spaces apart; a name (`node (engines)`) and a range (`>=20 <22`) may hold single spaces.
const UPDATE = /^ {2}(\S.*?) {2}(\S+(?: \S+)*) {2}(\S+(?: \S+)*) -> (\S+)(?: @\S+)? {2}\(([^)]+)\) {2}(\S.*)$/;
const OUTCOME = /^ {2}(committed|unchanged|failed|planned)\b/;
const DEFERRED = /^\s+(\d+) changes?, (\d+) updates?\s{2,}(\S.*)$/;

export function parseUpdateOutput(stdout: string): UpdateRunOutput {
  const lines = stdout.split('\n');
  const out: UpdateRunOutput = { changes: [], deferred: [], notes: [] };
  let cur: ChangeResult | undefined;
  let inDeferred = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^deferred \(\d+\)/.test(l)) {
      inDeferred = true;
      continue;
    }
    if (inDeferred) {
      const d = DEFERRED.exec(l);
      if (d) {
        // The next row lists the slugs of the changes deferred for this reason.
        const slugs = (lines[i + 1] ?? '').trim().split(', ').filter(Boolean);
        out.deferred.push({ changes: Number(d[1]), updates: Number(d[2]), reason: d[3]!.trim(), slugs });
        i++;
        continue;
      }
      if (l.trim() === '') inDeferred = false;
      continue;
    }
    const h = HEADER.exec(l);
    if (h) {
      cur = { slug: h[1]!, class: h[2]!, lane: h[3]!, updates: [], status: 'unknown' };
      out.changes.push(cur);
      continue;
    }
    if (cur) {
      const o = OUTCOME.exec(l);
      if (o) {
        cur.status = o[1]!;
        continue;
      }
      if (l.startsWith('  error: ')) {
        cur.error = l.slice('  error: '.length);
        continue;
      }
      const u = UPDATE.exec(l);
      if (u) {
        cur.updates.push({ service: u[1]!, name: u[2]!, from: u[3]!, to: u[4]!, type: u[5]!.split(',')[0]!, file: u[6]! });
        continue;
      }
      if (l.trim() === '') cur = undefined;
    }
    if (l.startsWith('not planned: ') || l.startsWith('LOOKUP FAILED') || l.startsWith('UNREACHABLE') || /^DW\d{3} /.test(l)) out.notes.push(l);
    if (l.startsWith('update: ')) out.summary = l;
  }
  return out;
}
