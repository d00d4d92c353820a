import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ReportError } from './errors.ts';

/**
 * Parses a CI report's XML with fast-xml-parser after validating it (so a truncated file is an error with its
 * line, not a partial tree). Entity declarations are refused: no test or coverage tool writes them, and they are
 * how XML bombs work. Attributes keep their names; `arrays` lists the elements that may repeat.
 */
export function parseReportXml(file: string, text: string, arrays: string[]): Record<string, unknown> {
  if (/<!ENTITY/i.test(text)) throw new ReportError(file, lineOf(text, text.search(/<!ENTITY/i)), 'XML entity declarations are not accepted');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new ReportError(file, valid.err.line, `not well-formed XML: ${valid.err.msg}`);
  const repeat = new Set(arrays);
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseAttributeValue: false, parseTagValue: false, isArray: (name) => repeat.has(name) });
  return parser.parse(text) as Record<string, unknown>;
}

function lineOf(text: string, at: number): number {
  return text.slice(0, Math.max(0, at)).split('\n').length;
}

export type XmlNode = Record<string, unknown>;

/** The child elements named `name` of a node ([] when none; an empty element parses as ''). */
export function children(node: unknown, name: string): XmlNode[] {
  if (!node || typeof node !== 'object') return [];
  const v = (node as XmlNode)[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.map((c) => (c && typeof c === 'object' ? (c as XmlNode) : {}));
}

export function attr(node: XmlNode, name: string): string | undefined {
  const v = node[`@${name}`];
  return typeof v === 'string' ? v : undefined;
}

export function has(node: XmlNode, name: string): boolean {
  return node[name] !== undefined;
}
