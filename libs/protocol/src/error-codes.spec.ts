import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_MESSAGES, ErrorCode } from './error-codes';

/** The code tables of API.md §2: every `| 1234 | meaning |` row between §2 and §3. */
function specCodes(): number[] {
  const spec = readFileSync(path.resolve(__dirname, '../../../../shared/spec/API.md'), 'utf8');
  const section = spec.slice(
    spec.indexOf('## 2. Error codes'),
    spec.indexOf('## 3. Shared shapes'),
  );
  return [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
}

describe('error codes', () => {
  it('match the spec table of API.md §2 in both directions', () => {
    const ours = Object.values(ErrorCode).sort((a, b) => a - b);
    expect(ours).toEqual(specCodes().sort((a, b) => a - b));
  });

  it('have a default message each', () => {
    for (const code of Object.values(ErrorCode)) expect(ERROR_MESSAGES[code]).toBeTruthy();
  });
});
