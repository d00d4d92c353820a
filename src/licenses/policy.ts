import type { Config } from '../config/schema.ts';
import type { LockedPackage } from '../model/dependency.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { licenseTree, normalizeLicense, type LicenseNode } from './normalize.ts';

type Verdict = 'allow' | 'review' | 'deny';
const RANK: Record<Verdict, number> = { allow: 0, review: 1, deny: 2 };

interface Lists {
  allow: Set<string>;
  deny: Set<string>;
  review: Set<string>;
}

/** AND needs every part allowed (the worst decides); OR needs one alternative (the best decides). */
function verdict(node: LicenseNode, lists: Lists, strict: boolean): Verdict {
  if ('conjunction' in node) {
    const a = verdict(node.left, lists, strict);
    const b = verdict(node.right, lists, strict);
    return node.conjunction === 'and' ? (RANK[a] >= RANK[b] ? a : b) : RANK[a] <= RANK[b] ? a : b;
  }
  const id = node.license;
  if (lists.deny.has(id)) return 'deny';
  if (lists.review.has(id)) return 'review';
  if (lists.allow.has(id)) return 'allow';
  return strict ? 'review' : 'allow';
}

/**
 * `check`'s licence findings (DW801–DW803): every locked package with a licence (from its lock, or what the
 * registry declares: src/licenses/registry.ts) against `licenses:`. Opt-in: without `allow` or `deny` nothing is checked.
 */
export function licenseFindings(inv: Inventory, config: Config, now: Date): Finding[] {
  const cfg = config.licenses;
  if (cfg.allow.length === 0 && cfg.deny.length === 0) return [];
  const today = now.toISOString().slice(0, 10);
  const out: Finding[] = [];
  for (const s of inv.services) {
    const extra = cfg.services[s.name];
    const lists: Lists = { allow: new Set([...cfg.allow, ...(extra?.allow ?? [])]), deny: new Set([...cfg.deny, ...(extra?.deny ?? [])]), review: new Set([...cfg.review, ...(extra?.review ?? [])]) };
    const seen = new Set<string>();
    for (const p of s.locked) {
      if (p.link || p.workspace || p.source?.type === 'directory') continue; // the repository's own code
      const key = `${p.ecosystem}\0${p.normalizedName}\0${p.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const expression = normalizeLicense(p.license);
      const excepted = cfg.exceptions.find((e) => e.package === p.normalizedName && (!e.service || e.service === s.name) && (!e.license || e.license === (expression ?? p.license)));
      if (excepted && excepted.expires >= today) continue;
      const lapsed = excepted ? ` (exception expired ${excepted.expires})` : '';
      if (!expression) {
        if (cfg.unknown === 'review') out.push(make('DW803', 'low', p, s.name, `${p.name} ${p.version} has ${p.license ? `a licence depwarden cannot read as SPDX: ${JSON.stringify(p.license.slice(0, 100))}` : 'no licence in its lock, nor in the registry answers depwarden has'}${lapsed}`));
        continue;
      }
      const v = verdict(licenseTree(expression), lists, cfg.allow.length > 0);
      if (v === 'deny') out.push(make('DW801', 'high', p, s.name, `${p.name} ${p.version} is licensed ${expression}, denied by licenses.deny${lapsed}`, expression));
      else if (v === 'review') out.push(make('DW802', 'medium', p, s.name, `${p.name} ${p.version} is licensed ${expression}, which needs a review (not in licenses.allow)${lapsed}`, expression));
    }
  }
  return out;
}

function make(ruleId: string, severity: Finding['severity'], p: LockedPackage, service: string, message: string, expression?: string): Finding {
  return {
    ruleId,
    severity,
    message,
    hint: ruleId === 'DW801' ? 'Replace the package, or record a reviewed exception (licenses.exceptions, with reason and expiry).' : 'Review it; then allow the licence (licenses.allow) or add an exception with reason and expiry.',
    location: p.span,
    service,
    subject: `${p.name}@${p.version}`,
    ...(expression ? { properties: { license: expression } } : {}),
  };
}
