import { loadConfig } from '../../config/load.ts';
import type { RegisterCommand } from '../context.ts';
import { repoPath } from '../repo-path.ts';

export const register: RegisterCommand = (program, ctx) => {
  const config = program.command('config').description('Inspect depwarden.yaml');
  config
    .command('schema')
    .description('Print the JSON Schema of depwarden.yaml (for editors)')
    .action(async () => {
      const { jsonSchema } = await import('../../config/schema.ts');
      ctx.stdout(`${JSON.stringify(jsonSchema(), null, 2)}\n`);
    });
  config
    .command('validate')
    .description('Validate depwarden.yaml and print the effective policy (defaults filled in)')
    .argument('[path]', 'repository root', '.')
    .action(async (p: string) => {
      const loaded = await loadConfig(repoPath(ctx.cwd, p));
      ctx.stderr(loaded.file ? `${loaded.file}: valid\n` : 'no depwarden.yaml: the protocol defaults apply\n');
      ctx.stdout(`${JSON.stringify(loaded.config, null, 2)}\n`);
    });
};
