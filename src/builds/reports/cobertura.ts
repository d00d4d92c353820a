import type { CoverageSummary } from '../records.ts';
import { ReportError } from './errors.ts';
import { attr, children, parseReportXml } from './xml.ts';

const count = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/**
 * Cobertura XML (coverage.py `coverage xml`, istanbul's `cobertura` reporter, JaCoCo converters, gcovr): totals
 * from the `<coverage>` element's lines-valid/lines-covered and branches-valid/branches-covered when it carries
 * them (every current writer does); otherwise counted from the `<line>` elements (hits, and condition-coverage
 * `50% (1/2)` on branch lines), each file's line counted once.
 */
export function parseCobertura(file: string, text: string): CoverageSummary {
  const doc = parseReportXml(file, text, ['package', 'class', 'line']);
  const root = doc.coverage;
  if (!root || typeof root !== 'object') throw new ReportError(file, undefined, 'not a Cobertura report: the root element is not <coverage>');
  const cov = root as Record<string, unknown>;
  const lv = count(attr(cov, 'lines-valid'));
  const lc = count(attr(cov, 'lines-covered'));
  const bv = count(attr(cov, 'branches-valid'));
  const bc = count(attr(cov, 'branches-covered'));
  if (lv !== undefined && lc !== undefined) {
    if (lc > lv) throw new ReportError(file, undefined, `lines-covered ${lc} exceeds lines-valid ${lv}`);
    const branches = bv !== undefined && bc !== undefined && bv > 0;
    if (branches && bc! > bv!) throw new ReportError(file, undefined, `branches-covered ${bc} exceeds branches-valid ${bv}`);
    return { format: 'cobertura', linesCovered: lc, linesTotal: lv, branchesCovered: branches ? bc! : null, branchesTotal: branches ? bv! : null };
  }
  const lines = new Map<string, boolean>();
  let bTotal = 0;
  let bHit = 0;
  for (const pkg of children(children(cov, 'packages')[0], 'package')) {
    for (const cls of children(children(pkg, 'classes')[0], 'class')) {
      const name = attr(cls, 'filename') ?? attr(cls, 'name') ?? '';
      for (const line of children(children(cls, 'lines')[0], 'line')) {
        const n = count(attr(line, 'number'));
        const hits = count(attr(line, 'hits'));
        if (n === undefined || hits === undefined) throw new ReportError(file, undefined, `a <line> of ${name} has no number or hits`);
        const key = `${name}\0${n}`;
        lines.set(key, (lines.get(key) ?? false) || hits > 0);
        const cond = /\((\d+)\/(\d+)\)/.exec(attr(line, 'condition-coverage') ?? '');
        if (attr(line, 'branch') === 'true' && cond) {
          bHit += Number(cond[1]);
          bTotal += Number(cond[2]);
        }
      }
    }
  }
  const covered = [...lines.values()].filter(Boolean).length;
  return { format: 'cobertura', linesCovered: covered, linesTotal: lines.size, branchesCovered: bTotal ? bHit : null, branchesTotal: bTotal || null };
}
