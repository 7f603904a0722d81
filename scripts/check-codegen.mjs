// Fails when src/generated/graphql.ts does not match what codegen would write from schema/ now.
import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import config from '../codegen.mjs';

const outputs = await generate({ ...config, silent: true }, false);
let stale = false;
for (const { filename, content } of outputs) {
  const committed = readFileSync(filename, 'utf8');
  if (committed.trim() !== content.trim()) {
    stale = true;
    console.error(`${filename} is stale: the SDL in schema/ changed. Run \`npm run codegen\` and commit the result.`);
  }
}
if (stale) process.exit(1);
console.log('generated resolver types are up to date');
