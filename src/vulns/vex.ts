import { lstatSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PackageURL } from 'packageurl-js';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { Finding } from '../model/finding.ts';
import { UserError } from '../cli/context.ts';
import { realPathInside } from '../util/inside.ts';
import type { VulnMatch } from './audit.ts';

/**
 * Triage decisions, reviewed like code in `.depwarden/vex.yaml`. States, justifications and responses are
 * CycloneDX VEX's (`analysis.state` / `justification` / `response`).
 */
export const TRIAGE_STATES = ['in_triage', 'exploitable', 'not_affected', 'false_positive', 'resolved'] as const;
export const JUSTIFICATIONS = ['code_not_present', 'code_not_reachable', 'requires_configuration', 'requires_dependency', 'requires_environment', 'protected_by_compiler', 'protected_at_runtime', 'protected_at_perimeter', 'protected_by_mitigating_control'] as const;
export const RESPONSES = ['can_not_fix', 'will_not_fix', 'update', 'rollback', 'workaround_available'] as const;

export const triageEntry = z
  .object({
    id: z.string().min(1).describe('Advisory id or any of its aliases (CVE, GHSA, PYSEC...).'),
    package: z.string().optional().describe('Package name; absent = every package the advisory affects.'),
    service: z.string().optional().describe('Service name; absent = every service.'),
    state: z.enum(TRIAGE_STATES),
    justification: z.enum(JUSTIFICATIONS).optional(),
    response: z.array(z.enum(RESPONSES)).optional(),
    owner: z.string().min(1).describe('Who answers for this decision.'),
    reason: z.string().min(1).describe('Why, in words a reviewer can check.'),
    expires: z.iso.date().describe('YYYY-MM-DD after which the finding comes back.'),
  })
  .strict();
export type TriageEntry = z.infer<typeof triageEntry>;

export const VEX_FILE = '.depwarden/vex.yaml';
const vexFile = z.object({ version: z.literal(1).default(1), triage: z.array(triageEntry).default([]) }).strict();

/** A triage file is a few KB; anything near this is not one. */
const MAX_VEX_BYTES = 1024 * 1024;
/** YAML aliases expanded at most this many times ("billion laughs" documents expand aliases of aliases). */
const MAX_ALIASES = 100;

/**
 * Reads `.depwarden/vex.yaml` (absent = no triage). Errors name the file, line and key. The file is repository
 * input: it must resolve inside the repository (a link out of it is refused, not followed), be a regular file
 * of sane size, and expand few aliases.
 */
export function loadTriage(root: string): TriageEntry[] {
  const file = path.join(root, VEX_FILE);
  try {
    lstatSync(file);
  } catch {
    return [];
  }
  const where = realPathInside(root, VEX_FILE);
  if ('problem' in where && where.problem === 'dangling') throw new UserError(`${VEX_FILE} is a link to nothing: fix or remove it`);
  if ('problem' in where) throw new UserError(`${VEX_FILE} is a link to ${where.real}, outside the repository: not read (keep triage decisions in the repository, where they are reviewed)`);
  const real = where.real;
  const st = statSync(real);
  if (!st.isFile()) throw new UserError(`${VEX_FILE} is not a regular file`);
  if (st.size > MAX_VEX_BYTES) throw new UserError(`${VEX_FILE} is ${st.size} bytes, more than the ${MAX_VEX_BYTES}-byte limit for a triage file`);
  const lc = new LineCounter();
  const doc = parseDocument(readFileSync(real, 'utf8'), { lineCounter: lc });
  if (doc.errors.length) {
    const p = lc.linePos(doc.errors[0]!.pos[0]);
    throw new UserError(`${VEX_FILE}:${p.line}:${p.col}: ${doc.errors[0]!.message.split('\n')[0]}`);
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    if (e instanceof ReferenceError) throw new UserError(`${VEX_FILE}: too many YAML alias expansions (more than ${MAX_ALIASES}; a "billion laughs" document?): not read`);
    throw new UserError(`${VEX_FILE}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const r = vexFile.safeParse(js ?? {});
  if (!r.success) {
    const msgs = r.error.issues.map((i) => {
      const node = doc.getIn(i.path as (string | number)[], true) as { range?: [number, number] } | undefined;
      return `${VEX_FILE}:${node?.range ? lc.linePos(node.range[0]).line : 1}: ${i.path.join('.')}: ${i.message}`;
    });
    throw new UserError(`invalid triage file:\n  ${msgs.join('\n  ')}`);
  }
  return r.data.triage;
}

const SUPPRESSING = new Set(['not_affected', 'false_positive', 'resolved']);

function applies(t: TriageEntry, m: VulnMatch): boolean {
  return m.ids.includes(t.id) && (!t.package || t.package === m.pkg.name || t.package === m.pkg.normalizedName) && (!t.service || t.service === m.service);
}

/**
 * Active triage that says "not affected", "false positive" or "resolved" hides a match; an expired one brings it
 * back with a DW202 finding naming the owner. "in_triage" and "exploitable" keep the finding and annotate it.
 */
export function applyTriage(matches: VulnMatch[], triage: TriageEntry[], now: Date): { active: VulnMatch[]; suppressed: VulnMatch[]; findings: Finding[] } {
  const today = now.toISOString().slice(0, 10);
  const active: VulnMatch[] = [];
  const suppressed: VulnMatch[] = [];
  const findings: Finding[] = [];
  for (const m of matches) {
    const t = triage.find((x) => applies(x, m));
    if (!t) {
      active.push(m);
      continue;
    }
    const expired = t.expires < today;
    if (SUPPRESSING.has(t.state) && !expired) {
      suppressed.push({ ...m, triage: t });
      continue;
    }
    active.push({ ...m, triage: t });
    if (expired) {
      findings.push({
        ruleId: 'DW202',
        severity: 'medium',
        message: `triage of ${t.id} for ${m.pkg.name} (${t.state}, owner ${t.owner}) expired on ${t.expires}`,
        hint: `Review the decision in ${VEX_FILE}: renew it with a new expiry and reason, or fix the vulnerability.`,
        location: { file: VEX_FILE, line: 1, column: 1 },
        service: m.service,
        subject: t.id,
      });
    }
  }
  return { active, suppressed, findings };
}

function purlOf(m: VulnMatch): string {
  return new PackageURL(m.pkg.ecosystem === 'PyPI' ? 'pypi' : 'npm', undefined, m.pkg.ecosystem === 'PyPI' ? m.pkg.normalizedName : m.pkg.name, m.pkg.version, undefined, undefined).toString();
}

const OPENVEX_STATUS: Record<string, string> = { in_triage: 'under_investigation', exploitable: 'affected', not_affected: 'not_affected', false_positive: 'not_affected', resolved: 'fixed' };

/** OpenVEX 0.2.0 document of every match and its triage (untriaged matches are "affected"). */
export function exportOpenVex(matches: VulnMatch[], opts: { author: string; timestamp: string }): string {
  const statements = matches
    .map((m) => {
      const status = m.triage ? OPENVEX_STATUS[m.triage.state]! : 'affected';
      return {
        vulnerability: { name: m.id, aliases: m.ids.filter((i) => i !== m.id) },
        products: [{ '@id': purlOf(m) }],
        status,
        ...(status === 'not_affected' ? { justification: openVexJustification(m.triage?.justification), impact_statement: m.triage?.reason } : {}),
        ...(status === 'affected' ? { action_statement: m.fixedIn ? `Upgrade to ${m.fixedIn}` : 'No fix known' } : {}),
      };
    })
    .sort((a, b) => (a.vulnerability.name + a.products[0]!['@id'] < b.vulnerability.name + b.products[0]!['@id'] ? -1 : 1));
  const doc = { '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://depwarden.dev/vex/export', author: opts.author, timestamp: opts.timestamp, version: 1, statements };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function openVexJustification(j: string | undefined): string {
  switch (j) {
    case 'code_not_present':
      return 'vulnerable_code_not_present';
    case 'code_not_reachable':
      return 'vulnerable_code_not_in_execute_path';
    case 'protected_by_mitigating_control':
    case 'protected_at_runtime':
    case 'protected_at_perimeter':
    case 'protected_by_compiler':
      return 'inline_mitigations_already_exist';
    default:
      return 'vulnerable_code_cannot_be_controlled_by_adversary';
  }
}

/** CycloneDX 1.6 VEX (a BOM with `vulnerabilities[].analysis`). */
export function exportCycloneDxVex(matches: VulnMatch[], opts: { timestamp: string }): string {
  const vulns = matches
    .map((m) => ({
      id: m.id,
      ...(m.ids.length > 1 ? { references: m.ids.filter((i) => i !== m.id).map((i) => ({ id: i, source: { name: i.split('-')[0] } })) } : {}),
      ...(m.scored.score !== undefined ? { ratings: [{ score: m.scored.score, severity: m.scored.severity, method: m.scored.source === 'CVSS_V4' ? 'CVSSv4' : m.scored.source === 'CVSS_V2' ? 'CVSSv2' : 'CVSSv31', vector: m.scored.vector }] } : {}),
      analysis: {
        state: m.triage?.state ?? 'in_triage',
        ...(m.triage?.justification ? { justification: m.triage.justification } : {}),
        ...(m.triage?.response ? { response: m.triage.response } : {}),
        ...(m.triage ? { detail: `${m.triage.reason} (owner: ${m.triage.owner}, expires ${m.triage.expires})` } : {}),
      },
      affects: [{ ref: purlOf(m) }],
    }))
    .sort((a, b) => (a.id + a.affects[0]!.ref < b.id + b.affects[0]!.ref ? -1 : 1));
  const doc = { bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, metadata: { timestamp: opts.timestamp }, vulnerabilities: vulns };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Triage entries from an OpenVEX or CycloneDX VEX document (for review before they are added to vex.yaml).
 * Owner and expiry are not part of either format: the importer supplies them.
 */
export function importVex(text: string, defaults: { owner: string; expires: string }): TriageEntry[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`not a JSON VEX document: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new UserError('not an OpenVEX (statements) or CycloneDX VEX (vulnerabilities) document');
  const out: TriageEntry[] = [];
  if (Array.isArray(doc.statements)) {
    const back: Record<string, TriageEntry['state']> = { not_affected: 'not_affected', affected: 'exploitable', fixed: 'resolved', under_investigation: 'in_triage' };
    for (const s of doc.statements as { vulnerability?: { name?: string }; status?: string; impact_statement?: string; justification?: string; products?: { '@id'?: string }[] }[]) {
      const state = back[s.status ?? ''];
      if (!s.vulnerability?.name || !state) continue;
      const pkg = s.products?.[0]?.['@id'] ? PackageURL.fromString(s.products[0]['@id']).name : undefined;
      out.push(triageEntry.parse({ id: s.vulnerability.name, ...(pkg ? { package: pkg } : {}), state, owner: defaults.owner, reason: s.impact_statement ?? s.justification ?? `imported OpenVEX status ${s.status}`, expires: defaults.expires }));
    }
  } else if (Array.isArray(doc.vulnerabilities)) {
    for (const v of doc.vulnerabilities as { id?: string; analysis?: { state?: string; justification?: string; response?: string[]; detail?: string }; affects?: { ref?: string }[] }[]) {
      if (!v.id || !v.analysis?.state) continue;
      const ref = v.affects?.[0]?.ref;
      const pkg = ref?.startsWith('pkg:') ? PackageURL.fromString(ref).name : undefined;
      out.push(triageEntry.parse({ id: v.id, ...(pkg ? { package: pkg } : {}), state: v.analysis.state, ...(v.analysis.justification ? { justification: v.analysis.justification } : {}), ...(v.analysis.response ? { response: v.analysis.response } : {}), owner: defaults.owner, reason: v.analysis.detail ?? `imported CycloneDX VEX state ${v.analysis.state}`, expires: defaults.expires }));
    }
  } else {
    throw new UserError('not an OpenVEX (statements) or CycloneDX VEX (vulnerabilities) document');
  }
  return out;
}
