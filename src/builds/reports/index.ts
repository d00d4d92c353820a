import type { CoverageSummary } from '../records.ts';
import { parseCobertura } from './cobertura.ts';
import { ReportError } from './errors.ts';
import { parseLcov } from './lcov.ts';

export { ReportError } from './errors.ts';
export { mergeTests, parseJUnit } from './junit.ts';

/** Report files larger than this are refused before parsing (a coverage report of a large monorepo is a few MB). */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** A coverage report by its content: XML with a <coverage> root is Cobertura, else LCOV. */
export function parseCoverage(file: string, text: string): CoverageSummary {
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) {
    if (/<coverage[\s>]/.test(head.slice(0, 4096))) return parseCobertura(file, text);
    throw new ReportError(file, 1, 'an XML file that is not a Cobertura report (JUnit results go to `report build --junit`)');
  }
  const first = head.split(/\r?\n/, 1)[0] ?? '';
  if (first && !/^(TN|SF|VER):/.test(first)) throw new ReportError(file, 1, 'neither an LCOV tracefile (it starts with TN: or SF:) nor Cobertura XML');
  return parseLcov(file, text);
}
