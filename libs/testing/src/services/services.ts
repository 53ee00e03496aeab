import { DEFAULT_DATABASE_URL, ensurePostgres } from './postgres';
import { DEFAULT_REDIS_URL, ensureRedis } from './redis';
import { startKafkaBroker } from './kafka-broker';
import { ensureChromium } from './chromium';

/** Where the tests find the real services; passed to test processes as environment. */
export interface ServiceEnv {
  DATABASE_URL: string;
  REDIS_URL: string;
  KAFKA_BROKERS: string;
}

export interface RunningServices {
  env: ServiceEnv;
  /** Stops what this call started (nothing that it found already running). */
  stop(): Promise<void>;
}

/**
 * Makes sure Postgres and Redis answer (starting the machine's own services if not), and
 * starts a Kafka broker unless `KAFKA_BROKERS` already names one. Also installs Debian's
 * Chromium for the browser tests when it is missing and the machine allows (`ensureChromium`).
 */
export async function startServices(
  given: Partial<ServiceEnv> = process.env,
  log: (msg: string) => void = (m) => process.stderr.write(`[services] ${m}\n`),
): Promise<RunningServices> {
  const env: ServiceEnv = {
    DATABASE_URL: given.DATABASE_URL || DEFAULT_DATABASE_URL,
    REDIS_URL: given.REDIS_URL || DEFAULT_REDIS_URL,
    KAFKA_BROKERS: given.KAFKA_BROKERS || '',
  };
  await Promise.all([
    ensurePostgres(env.DATABASE_URL, log),
    ensureRedis(env.REDIS_URL, log),
    ensureChromium(process.env, log),
  ]);
  if (env.KAFKA_BROKERS) {
    log(`kafka: using the given broker(s) ${env.KAFKA_BROKERS}`);
    return { env, stop: async () => undefined };
  }
  const broker = await startKafkaBroker(log);
  env.KAFKA_BROKERS = broker.brokers;
  return { env, stop: () => broker.stop() };
}
