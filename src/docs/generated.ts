import { renderAlertExamples } from '../alerts/examples.ts';
import { configSchema, jsonSchema } from '../config/schema.ts';
import { allRules } from '../rules/all-rules.ts';
import { renderConfigDoc } from './config-doc.ts';
import { renderRulesDoc } from './rules-doc.ts';

/** Files generated from code, by repository-relative path. `npm run docs` writes them; a test checks them. */
export function generatedFiles(): Record<string, string> {
  return {
    'docs/rules.md': renderRulesDoc(allRules()),
    'docs/config.md': renderConfigDoc(),
    'docs/alerts-examples.md': renderAlertExamples(),
    'schema/depwarden.schema.json': `${JSON.stringify(jsonSchema(), null, 2)}\n`,
    'schema/depwarden.defaults.json': `${JSON.stringify(configSchema.parse({}), null, 2)}\n`,
  };
}
