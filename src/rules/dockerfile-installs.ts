import type { Finding } from '../model/finding.ts';
import { finding, type Rule } from './context.ts';

/** DW010: container builds install from the lock, and system packages at exact versions. */
export const dockerfileInstallsRule: Rule = (ctx) => {
  const out: Finding[] = [];
  for (const d of ctx.inv.files.values()) {
    if (d.kind !== 'dockerfile') continue;
    for (const i of d.installs) {
      if (!i.bypassesLock && i.unpinned.length === 0) continue;
      const what = i.unpinned.length > 0 ? `unpinned ${i.unpinned.slice(0, 4).join(', ')}${i.unpinned.length > 4 ? ', …' : ''}` : 'packages without the lock';
      out.push(finding(ctx, 'DW010', i.span, `${i.tool} installs ${what}`, { subject: i.tool, detail: i.command, properties: { unpinned: i.unpinned } }));
    }
  }
  return out;
};
