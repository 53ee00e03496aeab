import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('writes the batches handed over together in one write', async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number>(async (items) => void writes.push(items));
    await Promise.all([commit.add([1]), Promise.resolve().then(() => commit.add([2, 3]))]);
    expect(writes).toEqual([[1, 2, 3]]);
  });

  it('writes what arrives during a write together in the next one, in arrival order', async () => {
    const writes: { items: number[]; batches: number }[] = [];
    let release!: () => void;
    let first = true;
    const commit = new GroupCommit<number>(async (items, batches) => {
      writes.push({ items, batches });
      if (first) {
        first = false;
        await new Promise<void>((resolve) => (release = resolve));
      }
    });
    const a = commit.add([1, 2]);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const b = commit.add([3]);
    const c = commit.add([4, 5]);
    release();
    await Promise.all([a, b, c]);
    expect(writes).toEqual([
      { items: [1, 2], batches: 1 },
      { items: [3, 4, 5], batches: 2 },
    ]);
  });

  it('rejects every batch of a failed write and keeps working afterwards', async () => {
    let fail = true;
    const commit = new GroupCommit<string>(async () => {
      if (fail) throw new Error('write failed');
    });
    await expect(commit.add(['x'])).rejects.toThrow('write failed');
    fail = false;
    await expect(commit.add(['y'])).resolves.toBeUndefined();
  });

  it('resolves an empty batch at once without writing', async () => {
    const write = jest.fn(async () => undefined);
    await new GroupCommit<number>(write).add([]);
    expect(write).not.toHaveBeenCalled();
  });
});
