import type { Finding } from '../model/finding.ts';
import { finding, type Rule } from './context.ts';

/** DW011: every -r / -c target exists. */
export const requirementsIncludesRule: Rule = (ctx) => {
  const out: Finding[] = [];
  for (const d of ctx.inv.files.values()) {
    if (d.kind !== 'requirements') continue;
    for (const inc of d.includes) {
      if (inc.exists) continue;
      out.push(finding(ctx, 'DW011', inc.span, `${d.file} ${inc.kind === 'constraint' ? 'constrains with' : 'includes'} ${inc.path}, which does not exist (${inc.resolvedPath})`, { subject: inc.resolvedPath }));
    }
  }
  return out;
};
