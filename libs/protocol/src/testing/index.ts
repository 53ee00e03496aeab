import { AppError } from '../app-error';

/** For specs: the code of the AppError `fn` throws; fails if it returns or throws another error. */
export function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  throw new Error('expected an AppError');
}

/** For specs: the code of the AppError `p` rejects with; fails if it resolves or rejects otherwise. */
export async function rejectionCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  throw new Error('expected an AppError');
}
