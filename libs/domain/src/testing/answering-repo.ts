/**
 * A repository for the services' unit tests whose methods answer what a test sets, whatever
 * the arguments; a method the test did not set rejects, naming it, so that a call the test
 * did not expect fails loudly. For specs only.
 */
export function answeringRepo<T extends object>(answers: Partial<Record<keyof T, unknown>>): T {
  return new Proxy({} as T, {
    get: (_t, name) => {
      if (!(name in answers)) return () => Promise.reject(new Error(`unexpected ${String(name)}`));
      return () => Promise.resolve(answers[name as keyof T]);
    },
  });
}
