import { createHash } from 'node:crypto';
import type { Finding, Severity } from '../model/finding.ts';
import type { RenderOptions } from './options.ts';

/** SARIF levels GitHub code scanning understands. */
function level(s: Severity): 'error' | 'warning' | 'note' {
  return s === 'critical' || s === 'high' ? 'error' : s === 'medium' ? 'warning' : 'note';
}

/** GitHub's security-severity (0-10) so alerts sort like CVSS. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** SARIF 2.1.0, one run, for GitHub code scanning (`github/codeql-action/upload-sarif`). */
export function renderSarif(findings: Finding[], opts: RenderOptions): string {
  const used = new Set(findings.map((f) => f.ruleId));
  const rules = opts.rules
    .filter((r) => used.has(r.id))
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((r) => ({
      id: r.id,
      name: r.title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')),
      shortDescription: { text: r.title },
      fullDescription: { text: r.description },
      help: { text: r.hint },
      helpUri: `https://github.com/depwarden/depwarden/blob/main/docs/rules.md#${r.id.toLowerCase()}`,
      defaultConfiguration: { level: level(r.defaultSeverity) },
      properties: { 'security-severity': SECURITY_SEVERITY[r.defaultSeverity], tags: ['dependencies', 'supply-chain'] },
    }));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results = findings.map((f) => ({
    ruleId: f.ruleId,
    ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId) } : {}),
    level: level(f.severity),
    message: { text: f.hint ? `${f.message}. ${f.hint}` : f.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: f.location.file, uriBaseId: '%SRCROOT%' },
          region: {
            startLine: f.location.line,
            startColumn: f.location.column,
            ...(f.location.endLine ? { endLine: f.location.endLine, endColumn: f.location.endColumn } : {}),
          },
        },
      },
    ],
    // Stable across runs and line moves, so code scanning tracks one alert per problem.
    partialFingerprints: { 'depwarden/v1': createHash('sha256').update(`${f.ruleId}\0${f.location.file}\0${f.subject ?? f.message}`).digest('hex').slice(0, 32) },
    properties: { severity: f.severity, ...(f.service ? { service: f.service } : {}) },
  }));
  const doc = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'depwarden', version: opts.toolVersion, informationUri: 'https://github.com/depwarden/depwarden', rules } },
        results,
      },
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
