import { startServices, type RunningServices } from '../services/services';

declare global {
  var __chatServices: RunningServices | undefined;
}

/**
 * Runs once per Jest run, before any suite. When `npm test` already started the services it
 * passes them in the environment and this finds them; when one project is tested alone
 * (`nx test db`) this starts what is missing and the teardown stops it.
 */
export default async function globalSetup(): Promise<void> {
  const running = await startServices(process.env);
  Object.assign(process.env, running.env);
  globalThis.__chatServices = running;
}
