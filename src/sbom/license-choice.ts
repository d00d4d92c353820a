import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

type ParseSpdx = typeof import('spdx-expression-parse');
let parser: ParseSpdx | undefined;

/** spdx-expression-parse, loaded on the first licence: most Poetry and requirements SBOMs state none. */
export function parseSpdxExpression(text: string): ReturnType<ParseSpdx> {
  parser ??= require('spdx-expression-parse') as ParseSpdx;
  return parser(text);
}

let lookup: ((value: string) => string | undefined) | undefined;

/**
 * The CycloneDX library's `fixupSpdxId` (SPDX/index: the schema's id list, looked up case-insensitively) without
 * loading the library's SPDX module chain. Built from the same file it reads (res/schema/spdx.SNAPSHOT.schema.json)
 * the same way (lower-cased id to id); test/sbom/cyclonedx-json.test.ts proves it equal to
 * `fixupSpdxId` for every id of that list and of spdx-license-ids. If the file moved, the library's own function.
 */
export function cdxSpdxId(value: string): string | undefined {
  if (!lookup) {
    try {
      const dir = path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json'));
      const schema = JSON.parse(readFileSync(path.join(dir, 'res', 'schema', 'spdx.SNAPSHOT.schema.json'), 'utf8')) as { enum: string[] };
      if (!Array.isArray(schema.enum)) throw new Error('moved');
      // The library indexes a plain object (Object.fromEntries: ~6 ms for 800 ids); a Map is built in a tenth of
      // that, and a name it lacks is looked up on an empty plain object, as the library's lookup falls through to
      // Object.prototype: the same answer for every string.
      const lowerToActual = new Map(schema.enum.map((id) => [id.toLowerCase(), id]));
      const inherited: Readonly<Record<string, string | undefined>> = Object.freeze({});
      lookup = (v) => {
        if (typeof v !== 'string' || v.length === 0) return undefined;
        const lower = v.toLowerCase();
        return lowerToActual.get(lower) ?? inherited[lower];
      };
    } catch {
      lookup = (require('@cyclonedx/cyclonedx-library/SPDX') as typeof import('@cyclonedx/cyclonedx-library/SPDX')).fixupSpdxId;
    }
  }
  return lookup(value);
}

/** Which lookup cdxSpdxId uses (tests check the fast one is taken). */
export const cdxSpdxIdSource = (): 'schema-file' | 'library' => (cdxSpdxId('MIT'), lookup === (require('@cyclonedx/cyclonedx-library/SPDX') as { fixupSpdxId: unknown }).fixupSpdxId ? 'library' : 'schema-file');

/** How a licence is written in CycloneDX: see licenseOf (cyclonedx-library.ts), which this decides for. */
export type LicenseChoice = { id: string } | { expression: string } | { name: string };

/**
 * A licence as the lock states it: one SPDX id as `license.id`, a compound SPDX expression as `expression`,
 * anything else (free text, "SEE LICENSE IN ...", "UNLICENSED") as a named licence: never dropped.
 */
const choices = new Map<string, LicenseChoice>();
export function licenseChoice(text: string): LicenseChoice {
  // Memoised per text: the same few licences repeat on most components of an npm lock.
  let c = choices.get(text);
  if (!c) {
    c = choose(text);
    if (choices.size < 100_000) choices.set(text, c);
  }
  return c;
}

function choose(text: string): LicenseChoice {
  let parsed: ReturnType<ParseSpdx>;
  try {
    parsed = parseSpdxExpression(text);
  } catch {
    return { name: text.slice(0, 1000) };
  }
  // A single id the CycloneDX schema lists goes in `license.id` (its enum); others stay a valid expression.
  const id = 'license' in parsed && !parsed.plus && !('exception' in parsed) ? cdxSpdxId(parsed.license) : undefined;
  if (id) return { id };
  return { expression: text };
}
