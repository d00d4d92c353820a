import { MAX_FAILING, type TestSummary } from '../records.ts';
import { ReportError } from './errors.ts';
import { attr, children, has, parseReportXml, type XmlNode } from './xml.ts';

/**
 * JUnit XML (the format pytest, jest-junit, surefire, go-junit-report and most CI runners write): a
 * `<testsuites>` or `<testsuite>` root, suites nested at any depth, `<testcase>` elements with a `<failure>`,
 * `<error>` or `<skipped>` child. Counts come from the test cases themselves, not the suites' summary attributes
 * (tools disagree on whether errors are failures; a case with `<error>` counts as failed here).
 */
export function parseJUnit(file: string, text: string): TestSummary {
  const doc = parseReportXml(file, text, ['testsuites', 'testsuite', 'testcase']);
  const roots = [...children(doc, 'testsuites'), ...children(doc, 'testsuite').map((s) => ({ testsuite: [s] }))];
  if (roots.length === 0) throw new ReportError(file, undefined, 'not a JUnit report: the root element is neither <testsuites> nor <testsuite>');
  const out = { run: 0, failed: 0, skipped: 0, failing: [] as string[] };
  const walk = (suite: XmlNode, depth: number): void => {
    if (depth > 50) throw new ReportError(file, undefined, 'test suites nested more than 50 deep');
    for (const tc of children(suite, 'testcase')) {
      out.run++;
      if (has(tc, 'failure') || has(tc, 'error')) {
        out.failed++;
        const name = attr(tc, 'name') ?? '(unnamed)';
        const cls = attr(tc, 'classname');
        out.failing.push(cls && cls !== name ? `${cls} › ${name}` : name);
      } else if (has(tc, 'skipped')) out.skipped++;
    }
    for (const s of children(suite, 'testsuite')) walk(s, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

/** Several JUnit files of one build, summed; failing names sorted and capped. */
export function mergeTests(parts: TestSummary[]): TestSummary {
  const failing = [...new Set(parts.flatMap((p) => p.failing))].sort();
  return {
    run: parts.reduce((n, p) => n + p.run, 0),
    failed: parts.reduce((n, p) => n + p.failed, 0),
    skipped: parts.reduce((n, p) => n + p.skipped, 0),
    failing: failing.slice(0, MAX_FAILING),
  };
}
