import { readFileSync } from 'node:fs';

/** From package.json, so `--version`, JSON and SARIF output never disagree with the release. */
export const TOOL_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
