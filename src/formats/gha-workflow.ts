import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Scalar } from 'yaml';
import type { ActionRef, ParseResult, WorkflowData } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import { makeImageRef } from './image-ref.ts';
import { parseFinding } from './parse-finding.ts';
import { LineIndex } from './text-position.ts';

const SHA = /^[0-9a-f]{40}$/i;
const VERSIONISH = /^v?\d+(\.\d+)*([-.+][\w.]+)?$/;

/** Classifies the part after `@`: a full SHA is immutable; version-like refs are tags; anything else a branch. */
export function refKindOf(ref: string | undefined): ActionRef['refKind'] {
  if (!ref) return 'none';
  if (SHA.test(ref)) return 'sha';
  return VERSIONISH.test(ref) ? 'tag' : 'branch';
}

/** Parses one `uses:` value into its parts (span filled by the caller). */
export function parseUses(raw: string): Omit<ActionRef, 'span' | 'refSpan'> {
  const value = raw.trim();
  if (value.startsWith('./') || value.startsWith('../')) return { raw, kind: 'local', path: value, refKind: 'none' };
  if (value.startsWith('docker://')) return { raw, kind: 'docker', refKind: 'none' };
  const at = value.lastIndexOf('@');
  const target = at >= 0 ? value.slice(0, at) : value;
  const ref = at >= 0 ? value.slice(at + 1) : undefined;
  const [owner, repo, ...rest] = target.split('/');
  const sub = rest.join('/');
  const kind = /\.github\/workflows\/[^/]+\.ya?ml$/.test(sub) ? 'reusable-workflow' : 'action';
  return { raw, kind, ...(owner ? { owner } : {}), ...(repo ? { repo } : {}), ...(sub ? { path: sub } : {}), ...(ref ? { ref } : {}), refKind: refKindOf(ref) };
}

/** .github/workflows/*.yml: every `uses:` of steps and of reusable-workflow jobs. */
export function parseWorkflow(file: string, text: string): ParseResult<WorkflowData> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    return { findings: doc.errors.slice(0, 3).map((e) => { const p = lc.linePos(e.pos[0]); return parseFinding(file, p.line, p.col, e.message.split('\n')[0]!); }) };
  }
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  const uses: ActionRef[] = [];
  const name = doc.get('name');

  const add = (node: Node | null | undefined, job: string): void => {
    if (!isScalar(node) || typeof (node as Scalar).value !== 'string' || !node.range) {
      if (node?.range) {
        const p = idx.position(node.range[0]);
        findings.push(parseFinding(file, p.line, p.column, '`uses:` must be a string'));
      }
      return;
    }
    const raw = (node as Scalar<string>).value;
    const parsed = parseUses(raw);
    const [start, end] = node.range;
    const span = idx.span(start, end);
    const atIdx = raw.lastIndexOf('@');
    const quoted = text[start] === '"' || text[start] === "'" ? 1 : 0;
    const refSpan = parsed.ref !== undefined ? idx.span(start + quoted + atIdx + 1, start + quoted + raw.length) : undefined;
    // The trailing comment on the same line: "# v4.1.0", "# tag=v4".
    const lineEnd = text.indexOf('\n', end);
    const tail = text.slice(end, lineEnd < 0 ? text.length : lineEnd);
    const comment = /#\s*(.*?)\s*$/.exec(tail)?.[1];
    const ref: ActionRef = { ...parsed, job, span, ...(refSpan ? { refSpan } : {}), ...(comment ? { versionComment: comment } : {}) };
    if (parsed.kind === 'docker') {
      const image = raw.trim().slice('docker://'.length);
      ref.image = makeImageRef(image, image, [], span, { refSpan: span });
    }
    uses.push(ref);
  };

  const jobs = doc.get('jobs', true);
  if (isMap(jobs)) {
    for (const item of jobs.items) {
      const jobName = isScalar(item.key) ? String(item.key.value) : '';
      const job = item.value;
      if (!isMap(job)) continue;
      add(job.get('uses', true) as Node | undefined, jobName);
      const steps = job.get('steps', true);
      if (isSeq(steps)) {
        for (const step of steps.items) if (isMap(step)) add(step.get('uses', true) as Node | undefined, jobName);
      }
    }
  }
  // Composite actions (action.yml under .github/workflows is rare, but runs.steps is the same shape).
  const runs = doc.get('runs', true);
  if (isMap(runs)) {
    const steps = runs.get('steps', true);
    if (isSeq(steps)) for (const step of steps.items) if (isMap(step)) add(step.get('uses', true) as Node | undefined, '');
  }
  return { data: { kind: 'gha-workflow', file, ...(typeof name === 'string' ? { name } : {}), uses }, findings };
}
