import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { validateXML } from 'xmllint-wasm';

/**
 * CycloneDX XML against the official XSDs the CycloneDX library ships (res/schema). The library's own
 * XmlValidator needs libxmljs2, a native addon whose install downloads a prebuilt binary or node headers:
 * neither works offline. xmllint-wasm is libxml2's xmllint compiled to WebAssembly (the same validator,
 * no native build), so the tests run on any machine. Many documents go through one xmllint run.
 */
const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');

export async function validateCycloneDxXml(docs: { name: string; xml: string }[], version: '1.5' | '1.6' | '1.7'): Promise<string[]> {
  if (docs.length === 0) return [];
  const r = await validateXML({
    xml: docs.map((d, i) => ({ fileName: `doc${i}.xml`, contents: d.xml })),
    schema: { fileName: `bom-${version}.SNAPSHOT.xsd`, contents: readFileSync(path.join(dir, `bom-${version}.SNAPSHOT.xsd`), 'utf8') },
    // The bom XSD imports the SPDX licence list XSD by this relative name.
    preload: [{ fileName: 'spdx.SNAPSHOT.xsd', contents: readFileSync(path.join(dir, 'spdx.SNAPSHOT.xsd'), 'utf8') }],
    maxMemoryPages: 16384,
  });
  return r.valid ? [] : r.errors.map((e) => `${docs[Number(/^doc(\d+)/.exec(e.loc?.fileName ?? '')?.[1] ?? -1)]?.name ?? '?'}: ${e.message}`);
}
