import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_MESSAGES, ErrorCode } from './error-codes';

/** The code tables of docs/errors.md: every `| 1234 | message | when |` row. */
function documentedCodes(): number[] {
  const doc = readFileSync(path.resolve(__dirname, '../../../docs/errors.md'), 'utf8');
  return [...doc.matchAll(/^\| (\d+) +\|/gm)].map((m) => Number(m[1]));
}

describe('error codes', () => {
  it('match the table of docs/errors.md in both directions', () => {
    const ours = Object.values(ErrorCode).sort((a, b) => a - b);
    expect(ours).toEqual(documentedCodes().sort((a, b) => a - b));
  });

  it('have a default message each', () => {
    for (const code of Object.values(ErrorCode)) expect(ERROR_MESSAGES[code]).toBeTruthy();
  });
});
