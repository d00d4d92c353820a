import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import type { ComposeData, ComposeService, ParseResult } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import type { SourceSpan } from '../model/source.ts';
import { makeImageRef } from './image-ref.ts';
import type { ParseContext } from './index.ts';
import { parseFinding } from './parse-finding.ts';
import { LineIndex } from './text-position.ts';

/** Reads `.env` (KEY=VALUE lines, optional quotes, `export ` prefix, comments). */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if (/^"(.*)"$/.test(v)) v = v.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"');
    else if (/^'(.*)'$/.test(v)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out[m[1]!] = v;
  }
  return out;
}

/**
 * Compose interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`,
 * `${VAR:+alt}`, `$$` escape. Values come from the `.env` next to the compose file only, never from the
 * process environment: the same repository always gives the same answer.
 */
export function interpolate(text: string, env: Record<string, string>): { value: string; unresolved: string[]; errors: string[] } {
  const unresolved: string[] = [];
  const errors: string[] = [];
  const value = text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
    if (m === '$$') return '$';
    const name = (braced ?? bare)!;
    const v = env[name];
    const set = v !== undefined;
    const nonEmpty = set && v !== '';
    switch (op) {
      case ':-':
        return nonEmpty ? v! : interpolate(word ?? '', env).value;
      case '-':
        return set ? v! : interpolate(word ?? '', env).value;
      case ':?':
      case '?':
        if (op === ':?' ? !nonEmpty : !set) errors.push(`${name}: ${word || 'required variable is not set'}`);
        return v ?? '';
      case ':+':
        return nonEmpty ? interpolate(word ?? '', env).value : '';
      case '+':
        return set ? interpolate(word ?? '', env).value : '';
      default:
        if (!set) unresolved.push(name);
        return v ?? '';
    }
  });
  return { value, unresolved: [...new Set(unresolved)], errors };
}

/** docker-compose*.yml / compose*.yaml: services with images and build contexts, anchors and merges resolved. */
export function parseCompose(file: string, text: string, ctx: ParseContext): ParseResult<ComposeData> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, merge: true, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    return { findings: doc.errors.slice(0, 3).map((e) => { const p = lc.linePos(e.pos[0]); return parseFinding(file, p.line, p.col, e.message.split('\n')[0]!); }) };
  }
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  const dir = path.posix.dirname(file);
  const envText = ctx.readText(dir === '.' ? '.env' : `${dir}/.env`);
  const env = envText ? parseDotEnv(envText) : {};
  const spanOf = (n: Node | null | undefined): SourceSpan => (n?.range ? idx.span(n.range[0], n.range[1]) : { file, line: 1, column: 1 });

  let js: unknown;
  try {
    // Bounded alias expansion: real files with many merges pass, a billion-laughs document does not.
    js = doc.toJS({ maxAliasCount: 100_000 });
  } catch (e) {
    return { findings: [parseFinding(file, 1, 1, e instanceof Error ? e.message : String(e))] };
  }
  const services: ComposeService[] = [];
  const servicesNode = doc.get('services', true);
  const servicesJs = (js as { services?: unknown } | null)?.services;
  if (servicesJs !== undefined && (typeof servicesJs !== 'object' || servicesJs === null || Array.isArray(servicesJs))) {
    findings.push(parseFinding(file, spanOf(servicesNode as Node).line, 1, '`services` must be a mapping'));
  } else if (servicesJs && isMap(servicesNode)) {
    for (const [name, svc] of Object.entries(servicesJs as Record<string, unknown>)) {
      const node = servicesNode.get(name, true) as Node | undefined;
      const pair = servicesNode.items.find((it) => isScalar(it.key) && it.key.value === name);
      const span = spanOf((pair?.key as Node | undefined) ?? node);
      if (typeof svc !== 'object' || svc === null) {
        services.push({ name, span });
        continue;
      }
      const s = svc as Record<string, unknown>;
      const out: ComposeService = { name, span };
      if (typeof s.image === 'string') {
        const imgNode = isMap(node) ? (node.get('image', true) as Node | undefined) : undefined;
        const r = interpolate(s.image, env);
        for (const err of r.errors) findings.push(parseFinding(file, spanOf(imgNode ?? node).line, spanOf(imgNode ?? node).column, `services.${name}.image: ${err}`, 'Set the variable in .env next to the compose file, or give it a default.'));
        const imgSpan = spanOf(imgNode ?? node);
        out.image = makeImageRef(s.image, r.value, r.unresolved, imgSpan, { refSpan: imgSpan });
      }
      const b = s.build;
      if (typeof b === 'string' || (typeof b === 'object' && b !== null)) {
        const bo = typeof b === 'string' ? { context: b } : (b as Record<string, unknown>);
        const context = interpolate(typeof bo.context === 'string' ? bo.context : '.', env).value;
        const args: Record<string, string> = {};
        if (Array.isArray(bo.args)) {
          for (const a of bo.args) if (typeof a === 'string' && a.includes('=')) args[a.slice(0, a.indexOf('='))] = interpolate(a.slice(a.indexOf('=') + 1), env).value;
        } else if (typeof bo.args === 'object' && bo.args !== null) {
          for (const [k, v] of Object.entries(bo.args)) if (v !== null && v !== undefined) args[k] = interpolate(String(v), env).value;
        }
        const isRemote = /^([a-z]+:\/\/|git@|github\.com\/)/.test(context);
        const resolved = isRemote ? context : path.posix.normalize(path.posix.join(dir === '.' ? '' : dir, context)).replace(/\/$/, '') || '.';
        out.build = {
          context,
          resolvedContext: resolved === '' ? '.' : resolved,
          ...(typeof bo.dockerfile === 'string' ? { dockerfile: interpolate(bo.dockerfile, env).value } : {}),
          args,
        };
      }
      services.push(out);
    }
  }
  services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { data: { kind: 'compose', file, services }, findings };
}
