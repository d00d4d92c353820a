import path from 'node:path';
import { uncoveredFiles } from '../discover/coverage.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { fileSpan } from '../model/source.ts';
import type { Config } from '../config/schema.ts';
import { printable } from '../report/printable.ts';
import { finding, ruleContext, type Rule, type RuleContext } from './context.ts';
import { lockPresenceRule } from './lock-presence.ts';

/**
 * DW012: a dependency file of a tool depwarden does not read is reported, never counted as "locked" or as
 * "no findings". A manifest of ours beside it (pyproject.toml next to uv.lock) is named, so the reader knows
 * which declared dependencies are not verified by a lock.
 */
export const coverageRule: Rule = (ctx) => {
  const out: Finding[] = [];
  for (const u of uncoveredFiles(ctx.inv.allFiles, ctx.inv.kinds)) {
    const dir = path.posix.dirname(u.file);
    const beside = [...ctx.inv.files.values()]
      .filter((d) => (d.kind === 'pyproject' || d.kind === 'package-json') && path.posix.dirname(d.file) === dir)
      .map((d) => d.file);
    const what = u.role === 'lock' ? `${u.tool} lock` : `${u.tool} manifest`;
    const besideText = u.role === 'lock' && beside.length ? `; ${beside.join(', ')} is not verified against it` : '';
    out.push(
      finding(ctx, 'DW012', fileSpan(u.file), `${u.file} is not covered: depwarden does not read ${what} files (${u.ecosystem}); its packages are not checked, audited or in the SBOM${besideText}`, {
        subject: u.file,
        ...(serviceAt(ctx.inv, u.file) ? { service: serviceAt(ctx.inv, u.file)! } : {}),
        properties: { ecosystem: u.ecosystem, role: u.role, tool: u.tool },
      }),
    );
  }
  return out;
};

/** Files (DW000 with nothing read, DW012, DW013) whose packages an audit cannot see: what `audit` reports beside its matches. */
export function coverageFindings(ctx: RuleContext): Finding[] {
  const inv: Inventory = ctx.inv;
  const unreadPackages = new Set([...inv.kinds].filter(([f, k]) => !inv.files.has(f) && k !== 'dockerfile' && k !== 'compose' && k !== 'gha-workflow').map(([f]) => f));
  const parse = inv.findings
    .filter((f) => (f.ruleId === 'DW000' && unreadPackages.has(f.location.file)) || f.ruleId === 'DW013')
    .map((f) => (f.service || !ctx.serviceOf(f.location.file, f.location.line) ? f : { ...f, service: ctx.serviceOf(f.location.file, f.location.line)! }));
  return [...parse, ...coverageRule(ctx)];
}

/** The service whose root most closely contains a file (services that only run a compose image own no folder). */
function serviceAt(inv: Inventory, file: string): string | undefined {
  const dir = path.posix.dirname(file);
  let best: Inventory['services'][number] | undefined;
  for (const s of inv.services) {
    if (s.origin === 'compose' && s.units.length === 0 && s.dockerfiles.length === 0) continue;
    const within = s.root === '.' || dir === s.root || dir.startsWith(`${s.root}/`);
    if (within && (!best || s.root.length > best.root.length)) best = s;
  }
  return best?.name;
}

/** The audit's coverage findings, with one note saying the result excludes those files. */
export function auditGaps(inv: Inventory, config: Config, note: (line: string) => void): Finding[] {
  const ctx = ruleContext(inv, config);
  const out = coverageFindings(ctx);
  const files = [...new Set(out.map((f) => f.location.file))].sort();
  if (files.length) note(`this audit excludes ${files.length} dependency file${files.length === 1 ? '' : 's'} depwarden could not read: ${files.map((f) => printable(f, { oneLine: true })).join(', ')}`);
  // A manifest without a lock declares ranges, not versions: the audit cannot check its packages, and "no
  // findings" over it would be a silent false negative. Its DW002 finding says so in the audit too.
  const unlocked = lockPresenceRule(ctx);
  if (unlocked.length) note(`this audit could not check the packages of ${unlocked.length} manifest${unlocked.length === 1 ? '' : 's'} without a lock: ${unlocked.map((f) => printable(f.location.file, { oneLine: true })).join(', ')}`);
  return [...out, ...unlocked];
}
