import type { FindingFormat } from '../report/index.ts';
import { printable } from '../report/printable.ts';
import type { ProvenanceRun } from './verify.ts';

/**
 * What `provenance` adds to the findings report: in JSON every package's verdict and the images checked; in the
 * table and markdown the packages whose provenance verified, with who built them. SARIF carries findings only.
 */
export function renderProvenanceExtras(text: string, format: FindingFormat, run: ProvenanceRun): string {
  const built = run.packages.filter((p) => p.attestation?.status === 'verified').sort((a, b) => (`${a.name}@${a.version}` < `${b.name}@${b.version}` ? -1 : 1));
  if (format === 'json') {
    const doc = JSON.parse(text) as Record<string, unknown>;
    doc.packages = run.packages;
    doc.images = run.images.map(({ places, ...i }) => ({ ...i, files: [...new Set(places.map((p) => p.file))].sort() }));
    return `${JSON.stringify(doc, null, 2)}\n`;
  }
  if (!built.length || (format !== 'table' && format !== 'markdown')) return text;
  const rows = built.map((p) => [`${p.name}@${p.version}`, p.attestation!.builtFrom?.repository ?? '', p.attestation!.builtFrom?.workflow ?? '', p.attestation!.builtFrom?.commit ?? ''].map((c) => printable(c, { oneLine: true })));
  if (format === 'markdown') {
    const esc = (c: string): string => c.replace(/\|/g, '\\|');
    return `${text}\n### Built from (verified provenance)\n\n| package | repository | workflow | commit |\n| --- | --- | --- | --- |\n${rows.map((r) => `| ${r.map(esc).join(' | ')} |`).join('\n')}\n`;
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['package', 'repository', 'workflow'][i]!.length));
  const line = (r: string[]): string => `${r.slice(0, 3).map((c, i) => c.padEnd(widths[i]!)).join('  ')}  ${r[3]}`.trimEnd();
  return `${text}\nBuilt from (verified provenance):\n${line(['package', 'repository', 'workflow', 'commit'])}\n${rows.map(line).join('\n')}\n`;
}
