import type { Admin, Kafka } from 'kafkajs';

/**
 * A kafkajs admin client connected on first use and shared by the calls after it; a failed
 * connect is forgotten, so the next call tries again.
 */
export class LazyAdmin {
  private ready?: Promise<Admin>;

  constructor(private readonly kafka: Kafka) {}

  get(): Promise<Admin> {
    return (this.ready ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        return admin;
      } catch (err) {
        this.ready = undefined;
        await admin.disconnect().catch(() => undefined);
        throw err;
      }
    })());
  }

  /** Disconnects the admin if one was connected; a failed disconnect is thrown. */
  async close(): Promise<void> {
    const admin = await this.ready?.catch(() => undefined);
    await admin?.disconnect();
  }
}
