import { emailJobSchema, type EmailJob } from './jobs';

const job: EmailJob = {
  kind: 'verification_code',
  to: 'ann@example.com',
  code: '204816',
  validForMs: 3_600_000,
};

describe('emailJobSchema', () => {
  it('reads back the job the api adds, after a round trip through JSON', () => {
    expect(emailJobSchema.parse(JSON.parse(JSON.stringify(job)))).toEqual(job);
  });

  it.each([
    ['an unknown kind', { ...job, kind: 'newsletter' }, 'kind'],
    ['an address the edge would refuse', { ...job, to: 'ann' }, 'to'],
    ['an empty code', { ...job, code: '' }, 'code'],
    ['a code that is no string', { ...job, code: 204816 }, 'code'],
    ['a validity that is no whole number of ms', { ...job, validForMs: 1.5 }, 'validForMs'],
    ['no validity', { ...job, validForMs: undefined }, 'validForMs'],
  ])('refuses %s, naming the field', (_case, value, field) => {
    const result = emailJobSchema.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual([field]);
  });

  it('refuses what is no object', () => {
    for (const value of [null, 'verification_code', []]) {
      expect(emailJobSchema.safeParse(value).success).toBe(false);
    }
  });
});
