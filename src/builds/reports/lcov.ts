import type { CoverageSummary } from '../records.ts';
import { ReportError } from './errors.ts';

/**
 * LCOV tracefiles (geninfo(1) format: istanbul/jest/c8/karma, lcov, grcov, cargo-llvm-cov, coverage.py lcov).
 *
 * A small strict parser instead of a library: the maintained npm parsers read malformed input silently
 * (@friedemannsommer/lcov-parser 5.0.2 turns `DA:x,1` into line 0 and skips unknown lines; lcov-parse is
 * unmaintained since 2017), and a truncated upload must be an error, not a lower coverage figure. Every record
 * is checked; an unknown record, a record outside `SF:`…`end_of_record`, or a missing final `end_of_record` is
 * an error with its line. Sections of the same file (concatenated runs) are merged: a line or branch is covered
 * when any run covered it. Counts come from DA/BRDA records; LF/LH and BRF/BRH are used for a file without them.
 */
interface FileCov {
  lines: Map<number, boolean>;
  branches: Map<string, boolean>;
  lf: number;
  lh: number;
  brf: number;
  brh: number;
  hasBranchRecords: boolean;
}

const INT = /^\d+$/;
const SIGNED = /^-?\d+$/;

export function parseLcov(file: string, text: string): CoverageSummary {
  const files = new Map<string, FileCov>();
  let cur: FileCov | undefined;
  const lines = text.split(/\r?\n/);
  let sawRecord = false;
  let last = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    const at = i + 1;
    if (raw === '') continue;
    last = at;
    const fail = (why: string): never => {
      throw new ReportError(file, at, why);
    };
    if (raw === 'end_of_record') {
      if (!cur) fail('end_of_record without SF:');
      cur = undefined;
      continue;
    }
    const colon = raw.indexOf(':');
    if (colon < 1) fail(`not an LCOV record: ${raw.slice(0, 60)}`);
    const key = raw.slice(0, colon);
    const value = raw.slice(colon + 1);
    const fields = value.split(',');
    const ints = (n: number): number[] => {
      const v = fields.slice(0, n);
      if (v.length < n || v.some((x) => !INT.test(x))) fail(`${key}: expected ${n} integer field${n > 1 ? 's' : ''}, got "${value.slice(0, 60)}"`);
      return v.map(Number);
    };
    switch (key) {
      case 'TN':
      case 'VER':
        break;
      case 'SF': {
        if (cur) fail('SF: inside a record (missing end_of_record)');
        if (!value) fail('SF: without a file name');
        sawRecord = true;
        cur = files.get(value) ?? { lines: new Map(), branches: new Map(), lf: 0, lh: 0, brf: 0, brh: 0, hasBranchRecords: false };
        files.set(value, cur);
        break;
      }
      default: {
        if (!cur) fail(`${key}: outside a record (before SF:)`);
        const c = cur!;
        switch (key) {
          case 'DA': {
            // DA:<line>,<hits>[,<checksum>]; hits may be negative in some gcov outputs (treated as not hit).
            if (fields.length < 2 || !INT.test(fields[0]!) || !SIGNED.test(fields[1]!)) fail(`DA: expected line,hits, got "${value.slice(0, 60)}"`);
            const line = Number(fields[0]);
            const hits = Number(fields[1]);
            c.lines.set(line, (c.lines.get(line) ?? false) || hits > 0);
            break;
          }
          case 'BRDA': {
            // BRDA:<line>,[<exception>]<block>,<branch>,<taken> — taken is '-' when the block never ran.
            if (fields.length < 4 || !INT.test(fields[0]!)) fail(`BRDA: expected line,block,branch,taken, got "${value.slice(0, 60)}"`);
            const taken = fields[fields.length - 1]!;
            if (taken !== '-' && !INT.test(taken)) fail(`BRDA: taken "${taken}" is neither a count nor -`);
            const id = fields.slice(0, -1).join(',');
            c.branches.set(id, (c.branches.get(id) ?? false) || (taken !== '-' && Number(taken) > 0));
            c.hasBranchRecords = true;
            break;
          }
          case 'LF':
            c.lf += ints(1)[0]!;
            break;
          case 'LH':
            c.lh += ints(1)[0]!;
            break;
          case 'BRF':
            c.brf += ints(1)[0]!;
            c.hasBranchRecords = true;
            break;
          case 'BRH':
            c.brh += ints(1)[0]!;
            break;
          // Functions, and lcov 2's function aliases and MC/DC records: valid, not counted.
          case 'FN':
          case 'FNDA':
          case 'FNF':
          case 'FNH':
          case 'FNL':
          case 'FNA':
          case 'MCDC':
          case 'MCF':
          case 'MCH':
            break;
          default:
            fail(`unknown LCOV record ${key}:`);
        }
      }
    }
  }
  if (cur) throw new ReportError(file, last, 'the last record has no end_of_record (truncated file?)');
  if (!sawRecord) throw new ReportError(file, undefined, 'no SF: records: not an LCOV tracefile, or an empty one');
  let linesTotal = 0;
  let linesCovered = 0;
  let branchesTotal = 0;
  let branchesCovered = 0;
  let anyBranches = false;
  for (const c of files.values()) {
    if (c.lines.size) {
      linesTotal += c.lines.size;
      linesCovered += [...c.lines.values()].filter(Boolean).length;
    } else {
      linesTotal += c.lf;
      linesCovered += Math.min(c.lh, c.lf);
    }
    if (c.branches.size) {
      branchesTotal += c.branches.size;
      branchesCovered += [...c.branches.values()].filter(Boolean).length;
    } else {
      branchesTotal += c.brf;
      branchesCovered += Math.min(c.brh, c.brf);
    }
    anyBranches ||= c.hasBranchRecords;
  }
  return { format: 'lcov', linesCovered, linesTotal, branchesCovered: anyBranches ? branchesCovered : null, branchesTotal: anyBranches ? branchesTotal : null };
}
