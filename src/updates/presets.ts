import picomatch from 'picomatch';
import { normalizePypiName } from '../util/names.ts';

/**
 * Package families that are released together and must move together: the built-in presets (documented in
 * docs/updates.md) plus the user's `updates.families`. A family is found first from registry metadata (npm
 * packages whose packument names the same source repository), then from these lists. Stub packages (`@types/x`,
 * `types-x`) belong with the package they describe.
 */
export interface FamilyPreset {
  name: string;
  ecosystem: 'npm' | 'PyPI';
  /** Globs over the package name (PyPI names normalised). */
  packages: string[];
}

export const FAMILY_PRESETS: FamilyPreset[] = [
  { name: 'angular', ecosystem: 'npm', packages: ['@angular/*'] },
  { name: 'angular-cli', ecosystem: 'npm', packages: ['@angular-devkit/*', '@angular/cli', '@schematics/angular'] },
  { name: 'aws-sdk-js-v3', ecosystem: 'npm', packages: ['@aws-sdk/*'] },
  { name: 'babel', ecosystem: 'npm', packages: ['@babel/*'] },
  { name: 'jest', ecosystem: 'npm', packages: ['jest', '@jest/*', 'babel-jest', 'jest-circus', 'jest-cli', 'jest-config', 'jest-environment-*', 'jest-runtime', 'jest-snapshot'] },
  { name: 'nestjs', ecosystem: 'npm', packages: ['@nestjs/*'] },
  { name: 'nx', ecosystem: 'npm', packages: ['nx', '@nx/*'] },
  { name: 'react', ecosystem: 'npm', packages: ['react', 'react-dom', 'react-is', 'react-test-renderer'] },
  { name: 'storybook', ecosystem: 'npm', packages: ['storybook', '@storybook/*'] },
  { name: 'typescript-eslint', ecosystem: 'npm', packages: ['typescript-eslint', '@typescript-eslint/*'] },
  { name: 'vitest', ecosystem: 'npm', packages: ['vitest', '@vitest/*'] },
  { name: 'vue', ecosystem: 'npm', packages: ['vue', '@vue/*'] },
  { name: 'boto3', ecosystem: 'PyPI', packages: ['boto3', 'botocore', 's3transfer'] },
  { name: 'grpcio', ecosystem: 'PyPI', packages: ['grpcio', 'grpcio-*'] },
  { name: 'opentelemetry', ecosystem: 'PyPI', packages: ['opentelemetry-*'] },
  { name: 'pydantic', ecosystem: 'PyPI', packages: ['pydantic', 'pydantic-core'] },
  { name: 'django-stubs', ecosystem: 'PyPI', packages: ['django-stubs', 'django-stubs-ext'] },
];

/**
 * Source repositories that host many independently released packages: sharing one of them says nothing about
 * being released together (every `@types/*` package names DefinitelyTyped).
 */
const SHARED_HOSTING = new Set(['github.com/definitelytyped/definitelytyped', 'github.com/sindresorhus/type-fest']);

/** "https://github.com/babel/babel/tree/main/packages/x" and "git+https://github.com/Babel/babel.git" → "github.com/babel/babel". */
export function repositoryKey(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const m = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?([^/:]+)[/:]([^/]+)\/([^/#?]+)/i.exec(url.trim());
  if (!m) return undefined;
  const key = `${m[1]}/${m[2]}/${m[3]!.replace(/\.git$/i, '')}`.toLowerCase();
  return SHARED_HOSTING.has(key) ? undefined : key;
}

/** The package a stub package describes: `@types/node` → `node`, `@types/babel__core` → `@babel/core`, `types-requests` → `requests`. */
export function stubTarget(ecosystem: string, name: string): string | undefined {
  if (ecosystem === 'npm') {
    const m = /^@types\/(.+)$/.exec(name);
    if (!m) return undefined;
    const [scope, pkg] = m[1]!.split('__');
    return pkg ? `@${scope}/${pkg}` : m[1];
  }
  if (ecosystem === 'PyPI') {
    const m = /^types-(.+)$/.exec(normalizePypiName(name));
    return m ? m[1] : undefined;
  }
  return undefined;
}

const matchers = new Map<string, (s: string) => boolean>();
function matcher(p: FamilyPreset): (s: string) => boolean {
  const key = `${p.ecosystem}\0${p.packages.join('\0')}`;
  let m = matchers.get(key);
  if (!m) {
    m = picomatch(p.ecosystem === 'PyPI' ? p.packages.map(normalizePypiName) : p.packages, { nocase: p.ecosystem === 'PyPI' });
    matchers.set(key, m);
  }
  return m;
}

/**
 * Every family id a package belongs to: `source:<repo>` from registry metadata, `preset:<name>` from the lists
 * (user families first, so a user's list can be read as extending the presets), `stub:<name>` for a stub and its
 * package. Ids are compared, never shown raw; `familyLabel` gives the readable name.
 */
export function familiesOf(ecosystem: string, name: string, sourceUrl: string | undefined, user: FamilyPreset[], presets: boolean): string[] {
  const out: string[] = [];
  const repo = ecosystem === 'npm' ? repositoryKey(sourceUrl) : undefined;
  if (repo) out.push(`source:${repo}`);
  const n = ecosystem === 'PyPI' ? normalizePypiName(name) : name;
  for (const p of [...user, ...(presets ? FAMILY_PRESETS : [])]) if (p.ecosystem === ecosystem && matcher(p)(n)) out.push(`preset:${p.name}`);
  const stub = stubTarget(ecosystem, n);
  out.push(`stub:${stub ?? n}`);
  return out;
}

/** "preset:babel" → "babel", "source:github.com/babel/babel" → "babel/babel", "stub:react" → "react". */
export function familyLabel(id: string): string {
  const rest = id.slice(id.indexOf(':') + 1);
  return id.startsWith('source:') ? rest.split('/').slice(1).join('/') : rest;
}
