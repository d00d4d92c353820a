import type { LockedPackage } from '../model/dependency.ts';
import { type Finding, type Severity, severityRank } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { classifyUpdate, compareIn } from '../versioning/constraint.ts';
import { fixedVersionsAbove, isAffected } from './match.ts';
import type { Advisory } from './osv-record.ts';
import { advisorySeverity, type Scored } from './severity.ts';
import { applyTriage, type TriageEntry } from './vex.ts';

export interface AdvisorySource {
  lookup(ecosystem: string, name: string): Advisory[];
  /** Told every name before the lookups, a source can read only their part of its index. */
  prepare?(keys: Iterable<{ ecosystem: string; name: string }>): void;
}

/** One vulnerability of one locked package in one service, aliases merged. */
export interface VulnMatch {
  service: string;
  pkg: LockedPackage;
  /** Stable primary id (CVE when there is one, else GHSA, else the first id), and every id that names it. */
  id: string;
  ids: string[];
  summary?: string;
  scored: Scored;
  /** Lowest fixed version above the current one, per the advisory. */
  fixedIn?: string;
  /** Triage state from .depwarden/vex.yaml, when there is one. */
  triage?: TriageEntry;
}

export interface AuditResult {
  matches: VulnMatch[];
  findings: Finding[];
  /** Per service and package: the smallest version that fixes every finding, and the size of that step. */
  upgrades: { service: string; ecosystem: string; name: string; from: string; to?: string; updateType?: string }[];
  suppressed: VulnMatch[];
}

const PREFERENCE = [/^CVE-/, /^GHSA-/, /^PYSEC-/];

function primaryId(ids: string[]): string {
  for (const re of PREFERENCE) {
    const hit = ids.filter((i) => re.test(i)).sort()[0];
    if (hit) return hit;
  }
  return [...ids].sort()[0]!;
}

interface Evaluation {
  groups: Omit<VulnMatch, 'service' | 'pkg'>[];
  undecided: { id: string; invalid: string[] }[];
}

/** Every advisory of one name@version, aliases merged transitively (union-find over ids). */
function evaluate(pkg: LockedPackage, db: AdvisorySource): Evaluation {
  const hits: { adv: Advisory; fixedIn?: string; severity: Scored }[] = [];
  const undecided: Evaluation['undecided'] = [];
  for (const adv of db.lookup(pkg.ecosystem, pkg.normalizedName)) {
    if (adv.withdrawn) continue;
    for (const a of adv.affected) {
      if (a.ecosystem !== pkg.ecosystem || a.name !== pkg.normalizedName) continue;
      const r = isAffected(pkg.version, a);
      if (r.affected === undefined) undecided.push({ id: adv.id, invalid: r.invalid });
      if (r.affected !== true) continue;
      const fixedIn = r.fixedIn ?? fixedVersionsAbove(pkg.version, a).sort((x, y) => compareIn(pkg.ecosystem, x, y))[0];
      hits.push({ adv, ...(fixedIn ? { fixedIn } : {}), severity: advisorySeverity(adv, a.severity) });
    }
  }
  // Union-find: PYSEC-1 → CVE-1, GHSA-x → CVE-1 + CVE-2, PYSEC-2 → CVE-2 are one vulnerability.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const h of hits) {
    if (!parent.has(h.adv.id)) parent.set(h.adv.id, h.adv.id);
    for (const al of h.adv.aliases) {
      if (!parent.has(al)) parent.set(al, al);
      union(h.adv.id, al);
    }
  }
  const byRoot = new Map<string, typeof hits>();
  for (const h of hits) {
    const r = find(h.adv.id);
    const list = byRoot.get(r);
    if (list) list.push(h);
    else byRoot.set(r, [h]);
  }
  const groups: Evaluation['groups'] = [];
  for (const list of byRoot.values()) {
    const ids = [...new Set(list.flatMap((h) => [h.adv.id, ...h.adv.aliases]))].sort();
    const fixes = list.map((h) => h.fixedIn).filter((f): f is string => f !== undefined).sort((x, y) => compareIn(pkg.ecosystem, x, y));
    const scored = list.map((h) => h.severity).sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (b.score ?? 0) - (a.score ?? 0))[0]!;
    const summary = list.find((h) => h.adv.summary)?.adv.summary ?? list.find((h) => h.adv.title)?.adv.title;
    // Records of one vulnerability may disagree on the fix: only the highest of their fixes satisfies all.
    const fixedIn = fixes[fixes.length - 1];
    groups.push({ id: primaryId(ids), ids, ...(summary ? { summary } : {}), scored, ...(fixedIn ? { fixedIn } : {}) });
  }
  return { groups: groups.sort((a, b) => (a.id < b.id ? -1 : 1)), undecided };
}

/**
 * Matches every locked package of every service against the advisories of its name only. Advisories that
 * alias each other (PYSEC ↔ CVE ↔ GHSA) become one finding. Withdrawn advisories are ignored; advisories that
 * cannot be evaluated for a version (GIT-only ranges, unreadable versions) are reported as such (DW203).
 */
export function auditInventory(inv: Inventory, db: AdvisorySource, triage: TriageEntry[] = [], now: Date = new Date()): AuditResult {
  const matches: VulnMatch[] = [];
  const findings: Finding[] = [];
  const undecided: Finding[] = [];
  // A fleet locks the same name@version in many services: evaluate each once.
  const evaluated = new Map<string, Evaluation>();
  db.prepare?.(inv.services.flatMap((s) => s.locked.map((p) => ({ ecosystem: p.ecosystem, name: p.normalizedName }))));
  for (const s of inv.services) {
    const seen = new Set<string>();
    for (const pkg of s.locked) {
      if (pkg.ecosystem !== 'PyPI' && pkg.ecosystem !== 'npm') continue;
      if (pkg.link || pkg.workspace || pkg.source?.type === 'directory') continue; // the repository's own code
      const key = `${pkg.ecosystem}\0${pkg.normalizedName}\0${pkg.version}`;
      if (seen.has(`${key}\0${pkg.span.file}`)) continue;
      seen.add(`${key}\0${pkg.span.file}`);
      let ev = evaluated.get(key);
      if (!ev) evaluated.set(key, (ev = evaluate(pkg, db)));
      for (const u of ev.undecided) {
        undecided.push({
          ruleId: 'DW203',
          severity: 'low',
          message: `${u.id} cannot be evaluated for ${pkg.name} ${pkg.version}: ${u.invalid.length ? `unreadable versions in the advisory (${u.invalid.slice(0, 3).join(', ')})` : 'it gives only git commit ranges'}`,
          hint: 'Review the advisory by hand and record the outcome in .depwarden/vex.yaml.',
          location: pkg.span,
          service: s.name,
          subject: `${pkg.name}@${pkg.version}`,
          properties: { advisory: u.id },
        });
      }
      for (const g of ev.groups) matches.push({ service: s.name, pkg, ...g });
    }
  }

  const triaged = applyTriage(matches, triage, now);
  const upgrades = smallestUpgrades(triaged.active);
  const upgradeOf = new Map(upgrades.map((u) => [`${u.service}\0${u.ecosystem}\0${u.name}\0${u.from}`, u]));
  for (const m of triaged.active) findings.push(vulnFinding(m, upgradeOf.get(`${m.service}\0${m.pkg.ecosystem}\0${m.pkg.normalizedName}\0${m.pkg.version}`)));
  findings.push(...triaged.findings, ...dedupe(undecided));
  return { matches, findings, upgrades, suppressed: triaged.suppressed };
}

function dedupe(fs: Finding[]): Finding[] {
  const seen = new Set<string>();
  return fs.filter((f) => {
    const k = `${f.service}\0${f.subject}\0${f.properties?.advisory}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function smallestUpgrades(matches: VulnMatch[]): AuditResult['upgrades'] {
  const byPkg = new Map<string, VulnMatch[]>();
  for (const m of matches) {
    const k = `${m.service}\0${m.pkg.ecosystem}\0${m.pkg.normalizedName}\0${m.pkg.version}`;
    const list = byPkg.get(k);
    if (list) list.push(m);
    else byPkg.set(k, [m]);
  }
  const out: AuditResult['upgrades'] = [];
  for (const list of byPkg.values()) {
    const m0 = list[0]!;
    const eco = m0.pkg.ecosystem;
    // Fixing every finding needs the highest of the per-finding lowest fixes; unknown when one has no fix.
    const fixes = list.map((m) => m.fixedIn);
    const to = fixes.some((f) => f === undefined) ? undefined : fixes.sort((a, b) => compareIn(eco, a!, b!)).pop();
    out.push({ service: m0.service, ecosystem: eco, name: m0.pkg.normalizedName, from: m0.pkg.version, ...(to ? { to, updateType: classifyUpdate(eco, m0.pkg.version, to) } : {}) });
  }
  return out.sort((a, b) => (a.service + a.name < b.service + b.name ? -1 : 1));
}

function vulnFinding(m: VulnMatch, up: AuditResult['upgrades'][number] | undefined): Finding {
  const others = m.ids.filter((i) => i !== m.id);
  const sev: Severity = m.scored.severity;
  const fix = up?.to ? `upgrade ${m.pkg.name} to ${up.to} (${up.updateType} update) — fixes every known advisory of this version` : m.fixedIn ? `upgrade to ${m.fixedIn} or later` : 'no fixed version is known: consider removing or isolating the package, and record a triage decision';
  return {
    ruleId: 'DW201',
    severity: sev,
    message: `${m.pkg.name} ${m.pkg.version} is affected by ${m.id}${others.length ? ` (${others.join(', ')})` : ''}${m.summary ? `: ${m.summary}` : ''}`,
    hint: fix,
    location: m.pkg.span,
    service: m.service,
    subject: `${m.pkg.name}@${m.pkg.version}`,
    properties: {
      ids: m.ids,
      // The advisory's page: what a reader opens from a table or a pull-request comment.
      url: `https://osv.dev/vulnerability/${encodeURIComponent(m.id)}`,
      severitySource: m.scored.source,
      ...(m.scored.score !== undefined ? { cvss: m.scored.score } : {}),
      ...(m.scored.vector ? { vector: m.scored.vector } : {}),
      ...(m.fixedIn ? { fixedIn: m.fixedIn } : {}),
      ...(up?.to ? { upgradeTo: up.to, updateType: up.updateType ?? 'unknown' } : {}),
      ...(m.triage ? { triageState: m.triage.state } : {}),
    },
  };
}
