import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The shared real-world corpus, read in place (never copied into the project). */
export const CORPUS = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
export const OSV_DATA = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'osv');

export interface CorpusCase {
  dir: string;
  ecosystem: string;
  /** Per original path, the ground-truth text after "<path>: ". */
  truth: Map<string, string>;
  /** Original repository-relative paths (relative to the case dir). */
  paths: string[];
}

/** INDEX.tsv rows. The ground_truth_counts column reads "<path>: <facts>; <path>: <facts>". */
export function corpusCases(): CorpusCase[] {
  const lines = readFileSync(path.join(CORPUS, 'INDEX.tsv'), 'utf8').trim().split('\n');
  const header = lines[0]!.split('\t');
  const col = (name: string): number => header.indexOf(name);
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    const truth = new Map<string, string>();
    const text = f[col('ground_truth_counts')] ?? '';
    // Split on "; <path>: " boundaries: a path has no spaces and ends in a known file name.
    const re = /(?:^|; )([^\s;:]+): /g;
    const starts: { p: string; at: number; end: number }[] = [];
    for (let m = re.exec(text); m; m = re.exec(text)) starts.push({ p: m[1]!, at: m.index + m[0].length, end: m.index });
    starts.forEach((s, i) => truth.set(s.p, text.slice(s.at, i + 1 < starts.length ? starts[i + 1]!.end : text.length)));
    return { dir: f[col('case_dir')]!, ecosystem: f[col('ecosystem')]!, truth, paths: (f[col('original_paths')] ?? '').split(', ') };
  });
}
