import { randomInt } from 'node:crypto';

/** `length` decimal digits from the CSPRNG (docs/api.md §6); leading zeros are kept. */
export function generateCode(length: number): string {
  let code = '';
  for (let i = 0; i < length; i++) code += String(randomInt(10));
  return code;
}
