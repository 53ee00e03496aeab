export default async function globalTeardown(): Promise<void> {
  await globalThis.__chatServices?.stop();
  globalThis.__chatServices = undefined;
}
