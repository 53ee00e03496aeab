/** `npm run config:example`: regenerates config/app/public.yml and private.example.yml. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderConfigFile, type ConfigFile } from '../render-yaml';

const dir = path.resolve(__dirname, '../../../../config/app');
for (const file of ['public', 'private.example'] as ConfigFile[]) {
  const target = path.join(dir, `${file}.yml`);
  writeFileSync(target, renderConfigFile(file));
  process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
}
