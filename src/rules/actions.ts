import type { Finding } from '../model/finding.ts';
import type { ActionRef } from '../model/files.ts';
import { finding, type Rule } from './context.ts';

/** DW008 / DW009: actions pinned to a commit SHA, and one SHA never described as two versions. */
export const actionsRule: Rule = (ctx) => {
  const out: Finding[] = [];
  const bySha = new Map<string, ActionRef[]>();
  for (const u of ctx.inv.actions) {
    if (u.kind !== 'action' && u.kind !== 'reusable-workflow') continue;
    const name = `${u.owner}/${u.repo}${u.path ? `/${u.path}` : ''}`;
    if (u.refKind !== 'sha') {
      out.push(
        finding(ctx, 'DW008', u.refSpan ?? u.span, `${name} is pinned to ${u.refKind === 'none' ? 'nothing' : `${u.refKind} "${u.ref}"`}, not a commit SHA`, {
          subject: name,
          properties: { ref: u.ref ?? '', refKind: u.refKind },
        }),
      );
      continue;
    }
    if (!u.versionComment) continue;
    const key = `${u.owner}/${u.repo}@${u.ref!.toLowerCase()}`.toLowerCase();
    bySha.set(key, [...(bySha.get(key) ?? []), u]);
  }
  for (const [key, uses] of bySha) {
    const versions = [...new Set(uses.map((u) => normalizeComment(u.versionComment!)))].sort();
    if (versions.length < 2) continue;
    for (const u of uses) {
      out.push(
        finding(ctx, 'DW009', u.span, `${key.slice(0, key.indexOf('@') + 13)}… is commented as ${versions.join(' and ')} in different places`, {
          subject: key,
          detail: uses.map((x) => `${x.span.file}:${x.span.line}: # ${x.versionComment}`).join('\n'),
        }),
      );
    }
  }
  return out;
};

/** "tag=v4.1.0", "v4.1.0", "pin @v4.1.0" all name v4.1.0. */
function normalizeComment(c: string): string {
  const m = /v?\d+(\.\d+)*([-.+][\w.]+)?/.exec(c);
  return m ? (m[0].startsWith('v') ? m[0] : `v${m[0]}`) : c.trim();
}
