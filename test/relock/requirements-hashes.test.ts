import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { applyEdits } from '../../src/edit/apply.ts';
import { parseRequirements } from '../../src/formats/requirements.ts';
import type { ReleaseFile, TextEdit } from '../../src/model/update.ts';
import { requirementsHashEdits } from '../../src/relock/requirements-hashes.ts';
import { CORPUS } from '../helpers/corpus.ts';

const ctx = { exists: () => false, readText: () => undefined };
const splice = (text: string, edits: TextEdit[]): string => [...edits].sort((a, b) => b.start - a.start).reduce((t, e) => t.slice(0, e.start) + e.replacement + t.slice(e.end), text);
const h = (c: string): string => `sha256:${c.repeat(64)}`;
const files = (...hashes: string[]): ReleaseFile[] => hashes.map((x, i) => ({ filename: `f${i}.whl`, url: `https://files.example.test/f${i}.whl`, hashes: [x] }));

describe('requirementsHashEdits', () => {
  it('pip-compile layout: ==new and every file hash, sorted and de-duplicated, in the file\'s own continuation style', () => {
    const text = `foo==1.0 ; python_version < "3.12" \\\n    --hash=sha256:${'a'.repeat(64)} \\\n    --hash=sha256:${'b'.repeat(64)}\n    # via bar\nbar==2.0 \\\n    --hash=sha256:${'c'.repeat(64)}\n`;
    const data = parseRequirements('requirements.txt', text, ctx).data!;
    const after = splice(text, requirementsHashEdits(text, data, [{ name: 'Foo', version: '1.1', files: [...files(h('e'), h('d')), { filename: 'x.tar.gz', url: 'u', hashes: [h('d'), 'md5:00'] }] }]));
    assert.equal(after, `foo==1.1 ; python_version < "3.12" \\\n    --hash=${h('d')} \\\n    --hash=${h('e')}\n    # via bar\nbar==2.0 \\\n    --hash=sha256:${'c'.repeat(64)}\n`);
    const again = parseRequirements('requirements.txt', after, ctx).data!.requirements;
    assert.deepEqual(again.map((r) => [r.name, r.constraint, r.hashes]), [['foo', '==1.1', [h('d'), h('e')]], ['bar', '==2.0', [h('c')]]]);
  });

  it('one-line layout, `--hash ` spelling and a single hash on its own continuation line, CRLF kept', () => {
    const text = `foo==1.0 --hash sha256:${'a'.repeat(64)} --hash sha256:${'b'.repeat(64)}\r\nbar==2.0 \\\r\n    --hash=${h('c')}\r\n`;
    const data = parseRequirements('requirements.txt', text, ctx).data!;
    const after = splice(text, requirementsHashEdits(text, data, [{ name: 'foo', version: '1.1', files: files(h('f')) }, { name: 'bar', version: '2.1', files: files(h('e'), h('d')) }]));
    assert.equal(after, `foo==1.1 --hash ${h('f')}\r\nbar==2.1 \\\r\n    --hash=${h('d')} \\\r\n    --hash=${h('e')}\r\n`);
  });

  it('refuses unpinned, unhashed and unknown requirements, and releases without sha256', () => {
    const text = `foo>=1.0 --hash=${h('a')}\nbar==1.0\n`;
    const data = parseRequirements('requirements.txt', text, ctx).data!;
    assert.throws(() => requirementsHashEdits(text, data, [{ name: 'foo', version: '1.1', files: files(h('b')) }]), /not pinned with ==/);
    assert.throws(() => requirementsHashEdits(text, data, [{ name: 'bar', version: '1.1', files: files(h('b')) }]), /no --hash options/);
    assert.throws(() => requirementsHashEdits(text, data, [{ name: 'baz', version: '1.1', files: files(h('b')) }]), /no requirement baz/);
    assert.throws(() => requirementsHashEdits(text, data, [{ name: 'bar', version: '1.1', files: [{ filename: 'x', url: 'u', hashes: ['md5:00'] }] }]), /no sha256/);
  });

  it('corpus round trip: sigstore-python install/requirements.txt (pip-compile --generate-hashes)', () => {
    const caseDir = 'requirements/sigstore__sigstore-python__install';
    const root = path.join(CORPUS, caseDir);
    const text = readFileSync(path.join(root, 'requirements.txt'), 'utf8');
    const data = parseRequirements('requirements.txt', text, ctx).data!;
    const newHashes = [h('9'), h('1'), h('5')];
    const edits = requirementsHashEdits(text, data, [{ name: 'certifi', version: '2026.8.1', files: files(...newHashes) }]);
    const [res] = applyEdits(root, edits, { dryRun: true });
    assert.equal(res!.before, text);
    const again = parseRequirements('requirements.txt', res!.after, ctx).data!.requirements;
    assert.deepEqual(again.map((r) => [r.name, r.constraint, r.hashes]), data.requirements.map((r) => (r.name === 'certifi' ? [r.name, '==2026.8.1', [...newHashes].sort()] : [r.name, r.constraint, r.hashes])));
    // Only the certifi block changed: the text outside [first edit, last edit) is byte-identical.
    const lo = Math.min(...edits.map((e) => e.start));
    const hi = Math.max(...edits.map((e) => e.end));
    assert.equal(res!.after.slice(0, lo), text.slice(0, lo));
    assert.equal(res!.after.slice(res!.after.length - (text.length - hi)), text.slice(hi));
    assert.match(res!.after, new RegExp(`certifi==2026\\.8\\.1 \\\\\\n    --hash=${h('1')} \\\\\\n    --hash=${h('5')} \\\\\\n    --hash=${h('9')}\\n    # via requests`));
  });
});
