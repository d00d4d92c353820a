import type { DockerfileData, DockerInstall, DockerStage, ParseResult } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import { makeImageRef, splitImageRef, splitRawRef, substituteVars } from './image-ref.ts';
import { parseFinding } from './parse-finding.ts';
import { LineIndex } from './text-position.ts';

interface Instruction {
  keyword: string;
  /** Arguments with continuations joined (comment lines inside continuations dropped). */
  args: string;
  /** Offset of the arguments' first character in the file, and the instruction's first line. */
  argsAt: number;
  at: number;
}

/** Dockerfile → instructions, honouring `# escape=`, line continuations and heredocs. */
function instructions(text: string): Instruction[] {
  const escape = /^#\s*escape\s*=\s*([\\`])/im.exec(text.slice(0, 200))?.[1] ?? '\\';
  const lines = text.split('\n');
  const out: Instruction[] = [];
  let offset = 0;
  let cur: Instruction | undefined;
  let heredoc: string | undefined;
  for (const rawLine of lines) {
    const lineAt = offset;
    offset += rawLine.length + 1;
    const line = rawLine.replace(/\r$/, '');
    if (heredoc !== undefined) {
      if (line.replace(/^\t+/, '') === heredoc) heredoc = undefined;
      continue;
    }
    if (!cur) {
      const trimmed = line.trimStart();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const m = /^(\s*)([A-Za-z]+)(\s+|$)/.exec(line);
      if (!m) continue;
      cur = { keyword: m[2]!.toUpperCase(), args: '', argsAt: lineAt + m[0].length, at: lineAt + m[1]!.length };
      const body = line.slice(m[0].length);
      const cont = body.trimEnd().endsWith(escape);
      cur.args = cont ? body.trimEnd().slice(0, -1) : body;
      if (!cont) {
        heredoc = heredocDelimiter(cur.args);
        out.push(cur);
        cur = undefined;
      }
    } else {
      if (line.trimStart().startsWith('#')) continue; // comment inside a continuation
      const cont = line.trimEnd().endsWith(escape);
      cur.args += ` ${cont ? line.trimEnd().slice(0, -1) : line}`;
      if (!cont) {
        heredoc = heredocDelimiter(cur.args);
        out.push(cur);
        cur = undefined;
      }
    }
  }
  if (cur) out.push(cur);
  return out;
}

function heredocDelimiter(args: string): string | undefined {
  const m = /<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(args);
  return m ? m[2] : undefined;
}

/** Dockerfile: stages with resolved base images, global ARGs, and package installs in RUN lines. */
export function parseDockerfile(file: string, text: string, buildArgs: Record<string, string> = {}): ParseResult<DockerfileData> {
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  const globalArgs: Record<string, string | undefined> = {};
  const stages: DockerStage[] = [];
  const installs: DockerInstall[] = [];
  const stageNames = new Set<string>();
  // Build args from compose override ARG defaults (only for declared ARGs, as `docker build` does).
  const lookup = (name: string): string | undefined => (name in globalArgs ? (buildArgs[name] ?? globalArgs[name]) : undefined);

  for (const ins of instructions(text)) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("([^"]*)"|'([^']*)'|\S*))?/g)) {
        globalArgs[m[1]!] = m[2] === undefined ? undefined : (m[3] ?? m[4] ?? m[2]);
      }
    } else if (ins.keyword === 'FROM') {
      const tokens = [...ins.args.matchAll(/\S+/g)];
      let i = 0;
      let platform: string | undefined;
      while (tokens[i]?.[0].startsWith('--')) {
        const t = tokens[i]![0];
        if (t.startsWith('--platform=')) platform = t.slice('--platform='.length);
        i++;
      }
      const imageTok = tokens[i];
      if (!imageTok) {
        const p = idx.position(ins.at);
        findings.push(parseFinding(file, p.line, p.column, 'FROM without an image'));
        continue;
      }
      const raw = imageTok[0];
      const asTok = tokens[i + 1]?.[0].toLowerCase() === 'as' ? tokens[i + 2]?.[0] : undefined;
      const { value, unresolved } = substituteVars(raw, lookup);
      const rawAt = ins.argsAt + imageTok.index;
      const span = idx.span(ins.at, rawAt + raw.length);
      // Where the tag or digest starts (its end when there is neither: an insertion point).
      const raws = splitRawRef(raw);
      const refStart = raws.tag !== undefined ? raws.repoEnd + 1 : raws.repoEnd;
      const refSpan = idx.span(rawAt + refStart, rawAt + raw.length);
      const lower = value.toLowerCase();
      const stageRef = stageNames.has(lower);
      const scratch = lower === 'scratch';
      const parts = splitImageRef(value);
      if (parts.badDigest) {
        const p = idx.position(rawAt);
        findings.push(parseFinding(file, p.line, p.column, `malformed digest in ${raw}`, 'A digest is sha256: followed by 64 lowercase hex digits.'));
      }
      const from = makeImageRef(raw, value, unresolved, span, {
        refSpan,
        ...(platform ? { platform } : {}),
        ...(stageRef ? { stageRef: true } : {}),
        ...(scratch ? { scratch: true } : {}),
      });
      stages.push({ index: stages.length, ...(asTok ? { name: asTok } : {}), from });
      if (asTok) stageNames.add(asTok.toLowerCase());
    } else if (ins.keyword === 'RUN') {
      const span = idx.span(ins.at, ins.argsAt + Math.min(ins.args.length, text.length - ins.argsAt));
      installs.push(...detectInstalls(ins.args, span));
    }
  }
  return { data: { kind: 'dockerfile', file, stages, globalArgs, installs }, findings };
}

const PIP = /^(?:\S*\/)?(?:pip3?(?:\.\d+)?|python3?(?:\.\d+)?\s+-m\s+pip|uv\s+pip)\s+install\b/;
const PIP_VALUE_OPTS = new Set(['-r', '--requirement', '-c', '--constraint', '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '-t', '--target', '--trusted-host', '--prefix', '--root', '--platform', '--python-version', '--implementation', '--abi', '--progress-bar', '--cache-dir', '--src', '--global-option', '--config-settings', '-C']);

/** Finds package installs in a RUN command (shell chains and `sh -c` included). */
export function detectInstalls(command: string, span: DockerInstall['span']): DockerInstall[] {
  const out: DockerInstall[] = [];
  const cmd = command.replace(/^\s*\[(.*)\]\s*$/, (_m, inner: string) => inner.replace(/"\s*,\s*"/g, ' ').replace(/"/g, ''));
  for (const rawSeg of cmd.split(/&&|\|\||;|\|/)) {
    const seg = rawSeg.trim().replace(/^(?:sudo\s+|env\s+(?:\S+=\S+\s+)*|(?:[A-Z_][A-Z0-9_]*=\S*\s+)+)/, '').replace(/^(?:sh|bash)\s+-c\s+["']?/, '');
    const words = seg.split(/\s+/).filter(Boolean);
    const base = (w: string | undefined): string => (w ?? '').split('/').pop()!;
    const tool = base(words[0]);
    const add = (t: DockerInstall['tool'], packages: string[], unpinned: string[], bypassesLock: boolean, usesLock: boolean): void => {
      out.push({ tool: t, command: seg.replace(/["']$/, ''), packages, unpinned, bypassesLock, usesLock, span });
    };
    if (PIP.test(seg)) {
      const args = seg.replace(PIP, '').trim().split(/\s+/).filter(Boolean);
      const pkgs: string[] = [];
      let usesLock = false;
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (a.startsWith('-')) {
          if (a === '-r' || a === '--requirement' || a.startsWith('--requirement=') || a.startsWith('-r')) usesLock = true;
          if (PIP_VALUE_OPTS.has(a)) i++;
          if (a === '-e' || a === '--editable') i++; // local editable installs are the project itself
          continue;
        }
        pkgs.push(a.replace(/^["']|["']$/g, ''));
      }
      const named = pkgs.filter((p) => !/^(\.|\/|\$|[a-z+]+:\/\/)|\.(whl|tar\.gz|zip)$/.test(p));
      const unpinned = named.filter((p) => !/===?[^=*]+$/.test(p) || /[<>~!]/.test(p));
      if (named.length || usesLock) add('pip', pkgs, unpinned, false, usesLock);
    } else if (tool === 'poetry' && words[1]) {
      if (words[1] === 'install' || words[1] === 'sync') add('poetry', [], [], false, true);
      else if (words[1] === 'add' || words[1] === 'lock' || words[1] === 'update') add('poetry', words.slice(2).filter((w) => !w.startsWith('-')), [], true, false);
    } else if (tool === 'uv' && words[1] && words[1] !== 'pip') {
      if (words[1] === 'sync') add('uv', [], [], !words.includes('--frozen') && !words.includes('--locked'), true);
      else if (words[1] === 'add' || words[1] === 'lock') add('uv', words.slice(2).filter((w) => !w.startsWith('-')), [], true, false);
    } else if (tool === 'npm' && words[1]) {
      const sub = words[1];
      const pkgs = words.slice(2).filter((w) => !w.startsWith('-'));
      if (sub === 'ci' || sub === 'clean-install') add('npm', [], [], false, true);
      else if (sub === 'install' || sub === 'i' || sub === 'add') {
        const unpinned = pkgs.filter((p) => !/^(@[^/]+\/)?[^@]+@\d+\.\d+\.\d+(-[\w.]+)?$/.test(p));
        add('npm', pkgs, unpinned, pkgs.length === 0, false);
      }
    } else if ((tool === 'yarn' || tool === 'pnpm') && (words[1] === undefined || ['install', 'i', 'add'].includes(words[1]))) {
      const frozen = words.some((w) => w === '--frozen-lockfile' || w === '--immutable');
      const pkgs = words[1] === 'add' ? words.slice(2).filter((w) => !w.startsWith('-')) : [];
      add(tool, pkgs, pkgs.filter((p) => !/@\d+\.\d+\.\d+$/.test(p)), !frozen, frozen);
    } else if ((tool === 'apt-get' || tool === 'apt') && words.includes('install')) {
      const pkgs = words.slice(words.indexOf('install') + 1).filter((w) => !w.startsWith('-') && !w.startsWith('$'));
      add('apt-get', pkgs, pkgs.filter((p) => !p.includes('=')), false, false);
    } else if (tool === 'apk' && words[1] === 'add') {
      const pkgs: string[] = [];
      for (let i = 2; i < words.length; i++) {
        const w = words[i]!;
        if (w === '--virtual' || w === '-t' || w === '--repository' || w === '-X') i++;
        else if (!w.startsWith('-') && !w.startsWith('$')) pkgs.push(w);
      }
      add('apk', pkgs, pkgs.filter((p) => !/[=~]/.test(p)), false, false);
    } else if (tool === 'gem' && words[1] === 'install') {
      const pinned = words.some((w) => w === '-v' || w.startsWith('--version'));
      const pkgs = words.slice(2).filter((w) => !w.startsWith('-') && !/^[\d.]+$/.test(w));
      add('gem', pkgs, pinned ? [] : pkgs, false, false);
    } else if (tool === 'go' && words[1] === 'install') {
      const pkgs: string[] = [];
      for (let i = 2; i < words.length; i++) {
        const w = words[i]!;
        if (/^-(tags|ldflags|gcflags|mod|o|modfile|overlay|pgo)$/.test(w)) i++; // flags with a value
        else if (!w.startsWith('-')) pkgs.push(w);
      }
      // A version (even one built from an ARG) pins; @latest, a branch or nothing does not.
      add('go', pkgs, pkgs.filter((p) => !/@v[\d$]/.test(p)), false, false);
    }
  }
  return out;
}
