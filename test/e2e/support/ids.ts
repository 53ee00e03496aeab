/**
 * Ways to write an id in a query string or form field other than its one canonical spelling
 * (docs/api.md §1.2: 1–16 digits, the first not 0, nothing else): each must answer 1001,
 * never reach the id it resembles. Also the values no spelling makes an id: 0, negatives,
 * past 2^53 − 1, empty, not a number.
 */
export function offSpellings(id: number): string[] {
  return [
    `0${id}`,
    `+${id}`,
    `${id}.0`,
    `${id}e0`,
    ` ${id}`,
    `${id} `,
    `-${id}`,
    `0x${id.toString(16)}`,
    '0',
    '',
    '9007199254740992',
    '99999999999999999999',
    'abc',
  ];
}
