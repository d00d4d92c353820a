import parseSpdx from 'spdx-expression-parse';

/**
 * Licence texts as locks, manifests and registries write them, normalised to SPDX expressions. A valid SPDX
 * expression is kept as written (ids' case fixed by the parser's licence list); the common free-text spellings
 * (PyPI classifiers' "MIT License", "Apache 2.0", "BSD 3-Clause", "GPLv3+", ...) are mapped; anything else is
 * unknown (undefined), never guessed — "BSD" alone names no single licence.
 */
const ALIASES: Record<string, string> = {
  mit: 'MIT',
  'mit license': 'MIT',
  'the mit license': 'MIT',
  'mit/x11': 'MIT',
  'expat': 'MIT',
  'isc license': 'ISC',
  'isc license (iscl)': 'ISC',
  'apache 2': 'Apache-2.0',
  'apache 2.0': 'Apache-2.0',
  'apache-2': 'Apache-2.0',
  'apache license 2.0': 'Apache-2.0',
  'apache license, version 2.0': 'Apache-2.0',
  'apache software license': 'Apache-2.0',
  'apache software license 2.0': 'Apache-2.0',
  'apache license version 2.0': 'Apache-2.0',
  'bsd 2-clause': 'BSD-2-Clause',
  'bsd-2': 'BSD-2-Clause',
  'simplified bsd': 'BSD-2-Clause',
  'bsd 3-clause': 'BSD-3-Clause',
  'bsd-3': 'BSD-3-Clause',
  'new bsd': 'BSD-3-Clause',
  'new bsd license': 'BSD-3-Clause',
  'modified bsd': 'BSD-3-Clause',
  'mpl 2.0': 'MPL-2.0',
  'mozilla public license 2.0 (mpl 2.0)': 'MPL-2.0',
  'gplv2': 'GPL-2.0-only',
  'gplv2+': 'GPL-2.0-or-later',
  'gplv3': 'GPL-3.0-only',
  'gplv3+': 'GPL-3.0-or-later',
  'gnu general public license v3 (gplv3)': 'GPL-3.0-only',
  'gnu general public license v2 (gplv2)': 'GPL-2.0-only',
  'gnu general public license v3 or later (gplv3+)': 'GPL-3.0-or-later',
  'lgplv3': 'LGPL-3.0-only',
  'lgplv3+': 'LGPL-3.0-or-later',
  'lgplv2.1': 'LGPL-2.1-only',
  'gnu lesser general public license v3 (lgplv3)': 'LGPL-3.0-only',
  'gnu library or lesser general public license (lgpl)': 'LGPL-2.0-or-later',
  'agplv3': 'AGPL-3.0-only',
  'gnu affero general public license v3': 'AGPL-3.0-only',
  'python software foundation license': 'PSF-2.0',
  'psf': 'PSF-2.0',
  'the unlicense (unlicense)': 'Unlicense',
  'unlicense': 'Unlicense',
  'cc0 1.0 universal (cc0 1.0) public domain dedication': 'CC0-1.0',
  '0bsd': '0BSD',
  'zlib/libpng license': 'Zlib',
  'eclipse public license 2.0 (epl-2.0)': 'EPL-2.0',
};

export function normalizeLicense(text: string | undefined): string | undefined {
  if (!text) return undefined;
  let t = text.trim();
  // PyPI classifiers: "License :: OSI Approved :: MIT License".
  const classifier = /^License :: (?:OSI Approved :: )?(.+)$/.exec(t);
  if (classifier) t = classifier[1]!.trim();
  if (!t || t.length > 500) return undefined;
  // Operators upper-cased ("MIT or Apache-2.0" is read by the parser, but SPDX writes OR).
  const canonical = t.replace(/\s+(or|and|with)\s+/gi, (_m, op: string) => ` ${op.toUpperCase()} `);
  try {
    parseSpdx(canonical);
    return canonical;
  } catch {
    // not SPDX as written
  }
  return ALIASES[t.toLowerCase().replace(/\s+/g, ' ')];
}

export type LicenseNode = ReturnType<typeof parseSpdx>;

/** The SPDX parse tree of a normalised expression. */
export function licenseTree(expression: string): LicenseNode {
  return parseSpdx(expression);
}
