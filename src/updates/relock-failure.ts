/**
 * A failed relock in one line: which package requires what, and what grouping would fix it, read from the lock
 * tool's own output (npm's ERESOLVE / ETARGET / E404 reports, Poetry's solver explanation). The full output goes
 * to a log file; the user reads this line first.
 */
export interface RelockCause {
  /** "babel-helper-x@2.0.0 requires @babel/core@^9.0.0 (peer), found @babel/core@7.24.0" */
  cause: string;
  /** What would make it relock, when something would. */
  fix?: string;
}

const strip = (line: string): string => line.replace(/^npm (?:error|ERR!|warn|WARN) ?/, '').trim();
const GROUP_HINT = 'together with this change (a `families` entry or a rule with `group` in depwarden.yaml)';

export function explainRelockFailure(tool: 'npm' | 'poetry', output: string): RelockCause | undefined {
  return tool === 'npm' ? explainNpm(output) : explainPoetry(output);
}

function explainNpm(output: string): RelockCause | undefined {
  const lines = output.split(/\r?\n/).map(strip);
  const errorAt = lines.findIndex((_, i) => /^npm (?:error|ERR!)/.test(output.split(/\r?\n/)[i] ?? ''));
  const errors = errorAt >= 0 ? lines.slice(errorAt) : lines;
  const code = /^code (\S+)/.exec(errors.find((l) => l.startsWith('code ')) ?? '')?.[1];
  if (code === 'ERESOLVE') {
    // "Could not resolve dependency:" then "peer X@"R" from Y@v"; "Found: X@v" names the version in the way.
    const at = errors.indexOf('Could not resolve dependency:');
    const need = at >= 0 ? /^(peer |peerOptional )?(\S+?)@"([^"]+)" from (\S+)/.exec(errors[at + 1] ?? '') : null;
    const found = /^Found: (?:peer )?(\S+?)@(\S+)/.exec(errors.find((l) => l.startsWith('Found: ')) ?? '');
    if (need) {
      const [, peer, name, range, from] = need;
      const who = from === 'the' ? 'the project' : from!;
      return {
        cause: `${who} requires ${name}@${range}${peer ? ' (peer)' : ''}${found && found[1] === name ? `, found ${name}@${found[2]}` : ''}`,
        fix: `plan an update of ${name} into ${range} ${GROUP_HINT}`,
      };
    }
    return { cause: 'npm could not resolve the dependency tree (ERESOLVE)' };
  }
  if (code === 'ETARGET') {
    const m = /No matching version found for (\S+?)@(\S+?)\.?$/.exec(errors.find((l) => l.includes('No matching version found for')) ?? '');
    if (!m) return { cause: 'npm found no matching version (ETARGET)' };
    const [, name, range] = m;
    // The warnings before the error say who asked, when a peer did.
    const all = output.split(/\r?\n/).map(strip);
    const resolving = [...all.keys()].filter((i) => all[i]!.startsWith('While resolving: ')).find((i) => all.slice(i, i + 12).some((l) => l.includes(`${name}@"${range}"`)));
    const who = resolving !== undefined ? all[resolving]!.slice('While resolving: '.length) : undefined;
    const peer = all.some((l) => l.startsWith(`peer ${name}@"${range}"`));
    const found = /^Found: (\S+?)@(\S+)/.exec(all.find((l) => l.startsWith(`Found: ${name}@`)) ?? '');
    // No grouping fixes a range nothing published satisfies: the cause alone.
    return { cause: `${who ?? 'a dependency'} requires ${name}@${range}${peer ? ' (peer)' : ''}${found ? ` (${name}@${found[2]} in use)` : ''}, and no published version matches` };
  }
  if (code === 'E404') {
    const m = /'(\S+?)@([^']*)' is not in this registry/.exec(errors.join('\n')) ?? /404 Not Found - GET \S+\/(\S+?) /.exec(errors.join('\n'));
    return { cause: m ? `${m[1]}${m[2] ? `@${m[2]}` : ''} is not in the registry` : 'a package is not in the registry (E404)' };
  }
  const first = errors.find((l) => l && !l.startsWith('code ') && !l.startsWith('A complete log'));
  return first ? { cause: first.slice(0, 200) } : undefined;
}

function explainPoetry(output: string): RelockCause | undefined {
  // Poetry's solver explains the conflict in sentences starting "Because ..."; the last one names the root cause.
  const text = output.replace(/\r/g, '');
  const because = /Because ([^\n]+(?:\n(?! *\n)[^\n]+)*)/.exec(text);
  if (because) {
    const sentence = `Because ${because[1]!.replace(/\s+/g, ' ').trim().replace(/\.$/, '')}`;
    // "A (1.1.0) depends on B (R)" or "api depends on A (1.1.0) which depends on B (R)": B into R is what is missing.
    const m = /(?:which depends on|\) depends on) (\S+) \(([^)]+)\)/.exec(sentence);
    return { cause: sentence.length > 300 ? `${sentence.slice(0, 297)}...` : sentence, ...(m ? { fix: `plan an update of ${m[1]} into ${m[2]} ${GROUP_HINT}` } : {}) };
  }
  const err = text.split('\n').map((l) => l.trim()).find((l) => /Error|error:|could not|not found/i.test(l));
  return err ? { cause: err.slice(0, 200) } : undefined;
}
