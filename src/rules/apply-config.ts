import picomatch from 'picomatch';
import type { Config } from '../config/schema.ts';
import { compareFindings, type Finding, type Severity } from '../model/finding.ts';

interface Override {
  enabled?: boolean;
  severity?: Severity;
  match?: (file: string) => boolean;
}

/**
 * Applies `rules:` from depwarden.yaml to findings of any capability: turn rules off, change severity,
 * scope either to paths. Returns findings sorted deterministically and de-duplicated.
 */
export function applyRuleConfig(findings: Finding[], config: Config): Finding[] {
  const overrides = new Map<string, Override>();
  for (const [id, v] of Object.entries(config.rules)) {
    if (typeof v === 'boolean') overrides.set(id, { enabled: v });
    else if (typeof v === 'string') overrides.set(id, { severity: v });
    else overrides.set(id, { enabled: v.enabled, severity: v.severity, match: v.paths?.length ? picomatch(v.paths, { dot: true }) : undefined });
  }
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const f of findings) {
    const o = overrides.get(f.ruleId);
    let g = f;
    if (o && (!o.match || o.match(f.location.file))) {
      if (o.enabled === false) continue;
      if (o.severity) g = { ...f, severity: o.severity };
    }
    const key = `${g.ruleId}\0${g.location.file}\0${g.location.line}\0${g.location.column}\0${g.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(g);
  }
  return out.sort(compareFindings);
}
