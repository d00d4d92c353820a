import type { Finding } from '../model/finding.ts';
import type { ImageRef } from '../model/files.ts';
import { finding, type Rule, type RuleContext } from './context.ts';

/** DW006 / DW007: every external image pinned by digest, never `latest` or untagged. */
export const imagesRule: Rule = (ctx) => {
  const out: Finding[] = [];
  for (const d of ctx.inv.files.values()) {
    if (d.kind === 'dockerfile') {
      for (const st of d.stages) if (!st.from.stageRef && !st.from.scratch) out.push(...checkImage(ctx, st.from));
    } else if (d.kind === 'compose') {
      // With build:, image: names what compose builds; it is not pulled.
      for (const s of d.services) if (s.image && !s.build) out.push(...checkImage(ctx, s.image));
    } else if (d.kind === 'gha-workflow') {
      for (const u of d.uses) if (u.kind === 'docker' && u.image) out.push(...checkImage(ctx, u.image));
    }
  }
  return out;
};

export function checkImage(ctx: RuleContext, img: ImageRef): Finding[] {
  if (img.digest) return [];
  const where = img.refSpan ?? img.span;
  const props = { image: img.resolved };
  if (img.unresolved.length > 0) {
    return [
      finding(ctx, 'DW006', where, `image ${img.raw} depends on ${img.unresolved.map((v) => `$${v}`).join(', ')} with no value here, and has no digest`, {
        subject: img.raw,
        properties: props,
        hint: 'Give the variable a default that includes a digest, or pin the digest in the reference.',
      }),
    ];
  }
  if (!img.tag || img.tag === 'latest') {
    return [finding(ctx, 'DW007', where, `image ${img.resolved} ${img.tag ? 'uses the floating tag latest' : 'has no tag or digest (means latest)'}`, { subject: img.resolved, properties: props })];
  }
  return [finding(ctx, 'DW006', where, `image ${img.resolved} is pinned by tag only, not by digest`, { subject: img.resolved, properties: props, hint: `Append the digest: \`${img.resolved}@sha256:<digest>\` (keep the tag for readers; \`depwarden update\` writes both).` })];
}
