#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run by Node's built-in type stripping (Node >= 22.18),
// so there is no build step between `npm ci` and `npx depwarden`.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv);
