import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { mergeTests, parseCoverage, parseJUnit, ReportError } from '../../src/builds/reports/index.ts';

const F = path.join(import.meta.dirname, '..', 'fixtures', 'coverage');
const read = (f: string): string => readFileSync(path.join(F, f), 'utf8');

describe('coverage reports (recorded files)', () => {
  it('coverage.py Cobertura: totals from the <coverage> element; no branch data → null', () => {
    assert.deepEqual(parseCoverage('coverage.xml', read('coveragepy-cobertura.xml')), { format: 'cobertura', linesCovered: 82, linesTotal: 96, branchesCovered: null, branchesTotal: null });
  });

  it('Cobertura without totals on the root: counted from <line> elements, each file line once, branches from condition-coverage', () => {
    const xml = read('coveragepy-cobertura.xml').replace(/lines-valid="96" lines-covered="82"/, '').replace('<line number="3" hits="1"/>', '<line number="3" hits="1" branch="true" condition-coverage="50% (1/2)"/>');
    assert.deepEqual(parseCoverage('coverage.xml', xml), { format: 'cobertura', linesCovered: 82, linesTotal: 96, branchesCovered: 1, branchesTotal: 2 });
  });

  it('jest LCOV with branch records: lines from DA, branches from BRDA', () => {
    assert.deepEqual(parseCoverage('lcov.info', read('jest-lcov.info')), { format: 'lcov', linesCovered: 22, linesTotal: 28, branchesCovered: 0, branchesTotal: 2 });
  });

  it('karma LCOV (BRF:0): zero branches recorded', () => {
    assert.deepEqual(parseCoverage('lcov.info', read('karma-lcov.info')), { format: 'lcov', linesCovered: 5, linesTotal: 5, branchesCovered: 0, branchesTotal: 0 });
  });

  it('LCOV: concatenated runs of one file are merged (covered when any run covered it), not double-counted', () => {
    const twice = 'SF:a.ts\nDA:1,0\nDA:2,1\nBRDA:1,0,0,0\nBRDA:1,0,1,2\nend_of_record\nSF:a.ts\nDA:1,3\nDA:2,0\nBRDA:1,0,0,-\nBRDA:1,0,1,0\nend_of_record\n';
    assert.deepEqual(parseCoverage('lcov.info', twice), { format: 'lcov', linesCovered: 2, linesTotal: 2, branchesCovered: 1, branchesTotal: 2 });
  });

  it('LCOV: malformed input is an error with its line, never a number', () => {
    const cases: [string, RegExp][] = [
      ['SF:a\nDA:x,1\nend_of_record\n', /lcov\.info:2: DA: expected line,hits/],
      ['SF:a\nDA:1,1\nbogus line\nend_of_record\n', /lcov\.info:3: not an LCOV record/],
      ['SF:a\nXX:1\nend_of_record\n', /lcov\.info:2: unknown LCOV record XX/],
      ['TN:\nDA:1,1\n', /lcov\.info:2: DA: outside a record/],
      ['version: "3"\nservices: {}\n', /lcov\.info:1: neither an LCOV tracefile/],
      ['SF:a\nDA:1,1\nDA:2,0\n', /truncated/],
      ['SF:a\nBRDA:1,0,0,maybe\nend_of_record\n', /lcov\.info:2: BRDA: taken/],
      ['', /no SF: records/],
    ];
    for (const [text, re] of cases) assert.throws(() => parseCoverage('lcov.info', text), (e: unknown) => e instanceof ReportError && re.test(e.message), text);
  });

  it('XML: truncated, entity declarations, a JUnit file passed as coverage → errors', () => {
    const cob = read('coveragepy-cobertura.xml');
    assert.throws(() => parseCoverage('coverage.xml', cob.slice(0, 2000)), /coverage\.xml:\d+: not well-formed XML/);
    assert.throws(() => parseCoverage('coverage.xml', `<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY a "aaaa">]><coverage lines-valid="1" lines-covered="1"/>`), /entity declarations/);
    assert.throws(() => parseCoverage('junit.xml', read('pytest-junit.xml')), /not a Cobertura report/);
    assert.throws(() => parseCoverage('c.xml', '<coverage lines-valid="1" lines-covered="5"></coverage>'), /exceeds/);
  });
});

describe('JUnit XML', () => {
  it('pytest report: 478 tests, 2 failing with their class and name', () => {
    const t = parseJUnit('junit.xml', read('pytest-junit.xml'));
    assert.equal(t.run, 478);
    assert.equal(t.failed, 2);
    assert.equal(t.skipped, 0);
    assert.equal(t.failing.length, 2);
    assert.ok(t.failing.includes('conflowgen.tests.analyses.test_container_flow_adjustment_by_vehicle_type_analysis_summary_report.TestContainerFlowAdjustmentByVehicleTypeAnalysisReport › test_graph_two_containers'), t.failing.join('\n'));
  });

  it('nested suites, errors as failures, skipped, a bare <testsuite> root; several files merge', () => {
    const a = parseJUnit('a.xml', '<testsuites><testsuite name="s"><testsuite name="inner"><testcase classname="C" name="x"><error message="boom"/></testcase><testcase name="y"><skipped/></testcase></testsuite><testcase name="z"/></testsuite></testsuites>');
    assert.deepEqual(a, { run: 3, failed: 1, skipped: 1, failing: ['C › x'] });
    const b = parseJUnit('b.xml', '<testsuite><testcase name="w"><failure>t</failure></testcase></testsuite>');
    assert.deepEqual(mergeTests([a, b]), { run: 4, failed: 2, skipped: 1, failing: ['C › x', 'w'] });
  });

  it('not JUnit, or not XML → error', () => {
    assert.throws(() => parseJUnit('x.xml', read('coveragepy-cobertura.xml')), /not a JUnit report/);
    assert.throws(() => parseJUnit('x.xml', '<testsuite><testcase>'), /x\.xml:\d+: not well-formed/);
  });
});
