import { GitError } from '../publish/git.ts';
import { HttpError } from '../http/client.ts';
import { redactSecrets } from '../util/redact.ts';
import { EXIT } from './context.ts';

/**
 * Environment problems (network, git, the state store, file permissions) as one line — what failed, the cause,
 * what to do — and their own exit code, instead of "internal error" and a stack trace. Recognised by type and
 * code where they reach the top of the CLI: our HttpError and GitError, undici/Node errno codes, pg's SQLSTATE
 * codes, a failed `git` child process. Anything not recognised stays exit 3: a bug.
 */
export interface Classified {
  code: number;
  message: string;
}

type Errno = Error & { code?: unknown; errno?: unknown; syscall?: unknown; path?: unknown; address?: unknown; port?: unknown; spawnargs?: unknown; stderr?: unknown; status?: unknown };

const NET_CODES = /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME|ECONNREFUSED|ECONNRESET|ECONNABORTED|EPIPE|EHOSTUNREACH|EHOSTDOWN|ENETUNREACH|ENETDOWN|ETIMEDOUT|EPROTO|UND_ERR_.*|ERR_TLS_.*|ERR_SSL_.*|CERT_.*|UNABLE_TO_.*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/;

const NETWORK_HINT = 'check the network connection, proxy settings and the configured URL (updates.registries, vulns.source, GITHUB_API_URL); --offline answers from the cache where a command has it';

/** Every error in the cause chain, outermost first. */
function chain(e: unknown): Errno[] {
  const out: Errno[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur instanceof Error; i++) {
    out.push(cur as Errno);
    cur = cur instanceof AggregateError && cur.errors[0] instanceof Error ? cur.errors[0] : cur.cause;
  }
  return out;
}

const oneLine = (s: string): string => redactSecrets(s).replace(/\s*\n\s*/g, ' ').trim().slice(0, 500);

function databaseTarget(env: NodeJS.ProcessEnv): { host: string; port: string; database: string } | undefined {
  if (!env.DATABASE_URL) return undefined;
  try {
    const u = new URL(env.DATABASE_URL);
    return { host: u.hostname, port: u.port || '5432', database: decodeURIComponent(u.pathname.replace(/^\//, '')) };
  } catch {
    return undefined;
  }
}

/** pg's SQLSTATE classes worth their own advice; the rest say what the server said. */
function pgHint(code: string, database: string | undefined): string {
  if (code === '3D000') return `create it (createdb ${database || '<name>'}) or point DATABASE_URL at an existing database`;
  if (code === '28P01' || code === '28000') return 'check the user and password in DATABASE_URL';
  if (code === '42501') return 'grant the DATABASE_URL user the rights to create tables in its schema (or set DEPWARDEN_DB_SCHEMA)';
  if (code.startsWith('08') || code === '57P03') return 'check that the server is running and reachable';
  if (code === '53100') return 'the database server is out of disk space';
  return 'check DATABASE_URL and the database server';
}

export function classifyError(e: unknown, env: NodeJS.ProcessEnv): Classified | undefined {
  const errs = chain(e);
  if (!errs.length) return undefined;
  const top = errs[0]!;
  const db = databaseTarget(env);

  // pg: a server answer carries a SQLSTATE and a severity.
  const pg = errs.find((x) => typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code) && typeof (x as { severity?: unknown }).severity === 'string');
  // Class 23 (integrity): the request contradicts what is stored ("change c1 already exists"), not a broken store.
  if (pg && (pg.code as string).startsWith('23')) {
    const detail = (pg as { detail?: unknown }).detail;
    return { code: EXIT.usage, message: `${oneLine(typeof detail === 'string' ? detail : pg.message)} — nothing was changed` };
  }
  if (pg) return { code: EXIT.store, message: `database: ${oneLine(pg.message)} (SQLSTATE ${pg.code as string}) — ${pgHint(pg.code as string, db?.database)}` };

  // Our HTTP client: the message already names the method, the redacted URL and the cause.
  const http = errs.find((x) => x instanceof HttpError) as HttpError | undefined;
  if (http) {
    const hint = http.status === 401 || http.status === 403 ? 'check the token or credentials configured for this host' : http.status === 404 ? 'check the name and the URL (or whether the token may see it)' : NETWORK_HINT;
    return { code: EXIT.network, message: `network: ${oneLine(http.message)} — ${hint}` };
  }

  // By name: importing github-pr.ts here would load Octokit for every command.
  if (top.name === 'GitHubApiError') {
    const status = top.status as number | undefined;
    const hint = status === 401 || status === 403 || /GITHUB_TOKEN is not set/.test(top.message) ? 'set GITHUB_TOKEN to a token with write access to the repository' : status === 404 ? 'check --github-repo and that the token can see the repository' : NETWORK_HINT;
    return { code: EXIT.network, message: `network: ${oneLine(top.message)} — ${hint}` };
  }

  // git, through publish/git.ts or a direct child process.
  if (top instanceof GitError) return { code: EXIT.git, message: `${oneLine(top.message)} — ${gitHint(top.message)}` };
  // execFileSync's error has no spawnargs, only "Command failed: git -C <dir> <args>" and git's stderr.
  const child = errs.find((x) => (Array.isArray(x.spawnargs) && x.spawnargs[0] === 'git') || /^Command failed: git /.test(x.message));
  if (child) {
    if (child.code === 'ENOENT') return { code: EXIT.git, message: 'git: the git program was not found — install git and make sure it is on PATH' };
    const argv = Array.isArray(child.spawnargs) ? (child.spawnargs as string[]).slice(1) : child.message.split('\n')[0]!.replace(/^Command failed: git /, '').split(' ');
    const args = argv.filter((a, i, all) => !(a === '-C' || all[i - 1] === '-C' || a === '-c' || all[i - 1] === '-c'));
    const stderr = typeof child.stderr === 'string' ? child.stderr : Buffer.isBuffer(child.stderr) ? child.stderr.toString('utf8') : '';
    const first = stderr.split('\n').map((l) => l.trim()).find(Boolean) ?? child.message.split('\n')[0]!;
    return { code: EXIT.git, message: `git ${args[0] ?? ''}: ${oneLine(first)} — ${gitHint(first)}` };
  }

  // Octokit and other fetch users: a status or a transport failure in the cause chain.
  const octo = errs.find((x) => x.name === 'HttpError' && typeof x.status === 'number');
  if (octo) return { code: EXIT.network, message: `network: GitHub API: HTTP ${octo.status as number} ${oneLine(octo.message)} — ${NETWORK_HINT}` };

  // Direct fetch users that report a status as "<METHOD> <url>: HTTP <status>" (e.g. publishing a commit status).
  const status = errs.find((x) => /^(GET|HEAD|POST|PUT|PATCH|DELETE) \S+: HTTP \d{3}\b/.test(x.message));
  if (status) return { code: EXIT.network, message: `network: ${oneLine(status.message)} — ${/HTTP 40[13]\b/.test(status.message) ? 'check the token or credentials configured for this host' : NETWORK_HINT}` };

  const sys = errs.find((x) => typeof x.code === 'string' && (typeof x.syscall === 'string' || NET_CODES.test(x.code as string)));
  if (sys) {
    const code = sys.code as string;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      const where = typeof sys.path === 'string' ? ` ${sys.path}` : '';
      return { code: EXIT.permission, message: `permission denied: ${typeof sys.syscall === 'string' ? sys.syscall : 'access'}${where} (${code}) — give the user running depwarden access to it, or run it where it may write` };
    }
    if (code === 'ENOENT' && typeof sys.syscall === 'string' && sys.syscall.startsWith('spawn')) {
      const program = typeof sys.path === 'string' ? sys.path : sys.syscall.replace(/^spawn(Sync)?\s*/, '');
      return { code: program === 'git' ? EXIT.git : EXIT.usage, message: `${program}: the program was not found — install it and make sure it is on PATH` };
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') return { code: EXIT.store, message: `no space left: ${oneLine(sys.message)} — free disk space (or quota) and run again` };
    if (NET_CODES.test(code)) {
      // A socket error at the DATABASE_URL's address is the store; any other is the network.
      const port = sys.port !== undefined ? String(sys.port) : undefined;
      const isDb = db !== undefined && (port === db.port || (port === undefined && /\/pg(-pool|-protocol)?\//.test(top.stack ?? '')));
      if (isDb) return { code: EXIT.store, message: `database: cannot reach ${db!.host}:${db!.port} from DATABASE_URL: ${oneLine(sys.message)} — check that the server is running and DATABASE_URL (host, port) is right` };
      return { code: EXIT.network, message: `network: ${oneLine(sys.message)} — ${NETWORK_HINT}` };
    }
    if ((code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') && typeof sys.path === 'string') {
      return { code: EXIT.usage, message: `${code === 'ENOENT' ? 'no such file or directory' : code === 'ENOTDIR' ? 'not a directory' : 'is a directory'}: ${sys.path} — check the path given` };
    }
  }
  // pg's own connection failures without an errno ("Connection terminated unexpectedly").
  if (db && errs.some((x) => /\/node_modules\/pg(-pool|-protocol)?\//.test(x.stack ?? '') || /^Connection terminated/.test(x.message))) {
    return { code: EXIT.store, message: `database: ${oneLine(top.message)} — check DATABASE_URL and the database server` };
  }
  if (errs.some((x) => x.name === 'TimeoutError')) return { code: EXIT.network, message: `network: no answer in time: ${oneLine(top.message)} — ${NETWORK_HINT}` };
  return undefined;
}

function gitHint(line: string): string {
  if (/not a git repository/i.test(line)) return 'run it inside a git repository (or pass its path)';
  if (/unknown revision|bad revision|ambiguous argument|needed a single revision|does not have any commits/i.test(line)) return 'make a commit first, or name a revision that exists';
  if (/does not appear to be a git repository|no such remote|could not read from remote|repository .* not found|unable to access/i.test(line)) return 'check the remote (git remote -v), its URL and your credentials for it';
  if (/rejected|non-fast-forward|stale info|protected branch|pre-receive hook/i.test(line)) return 'the remote refused the push: fetch, check its branch rules, and run again';
  if (/dubious ownership/i.test(line)) return "mark the repository safe (git config --global --add safe.directory <path>)";
  return 'see git\'s message; run the same git command by hand to investigate';
}
