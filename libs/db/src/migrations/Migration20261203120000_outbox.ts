import { Migration } from '@mikro-orm/migrations';

/**
 * The transactional outbox (docs/architecture.md, guarantees: events after commit, through an
 * outbox). The api writes the bus records a change causes (`chat.events` domain events, the
 * system messages of `chat.messages`) into this table in the transaction of the change;
 * its relay publishes them afterwards, oldest first, and deletes what the bus accepted. So
 * a crash or a bus outage between commit and publish delays those records, never loses them.
 *
 * `id` is the publish order (records of one key keep it). `value` is the record's JSON as
 * it goes on the bus, stamped once when written (event id, message id), so a record
 * published twice (the relay died before deleting it) is the same record twice and
 * consumers recognise it. `create_at` dates the oldest row waiting (its metric).
 */
const UP: string[] = [
  `CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT outbox_pkey PRIMARY KEY,
    topic text NOT NULL,
    key text NOT NULL,
    value text NOT NULL,
    create_at timestamptz NOT NULL DEFAULT now()
  )`,
];

const DOWN: string[] = ['DROP TABLE outbox'];

export class Migration20261203120000_outbox extends Migration {
  override up(): void {
    for (const sql of UP) this.addSql(sql);
  }

  override down(): void {
    for (const sql of DOWN) this.addSql(sql);
  }
}
