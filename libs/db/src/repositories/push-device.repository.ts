import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  NewPushDevice,
  PushDevicePlatform,
  PushDeviceRecord,
  PushDeviceRepository,
  PushSettings,
} from '../ports/push-devices';
import { rows } from './sql';
import { joinWork } from './unit-of-work';

interface Row {
  id: string | number;
  account_id: string | number;
  platform: PushDevicePlatform;
  token: string;
  p256dh: string | null;
  auth: string | null;
  create_at: Date | string;
}

const COLUMNS = 'id, account_id, platform, token, p256dh, auth, create_at';

const toRecord = (r: Row): PushDeviceRecord => ({
  id: Number(r.id),
  accountId: Number(r.account_id),
  platform: r.platform,
  token: r.token,
  keys: r.p256dh !== null && r.auth !== null ? { p256dh: r.p256dh, auth: r.auth } : null,
  createAt: new Date(r.create_at),
});

/**
 * Push devices in table `push_device` (migration 20261208100000) and the account's push
 * settings in `account.push_*` (migration 20261210130000).
 */
export class PgPushDeviceRepository implements PushDeviceRepository {
  constructor(private readonly root: EntityManager) {}

  private get em(): EntityManager {
    return joinWork(this.root);
  }

  async register(accountId: number, device: NewPushDevice): Promise<PushDeviceRecord> {
    const [row] = await rows<Row>(
      this.em,
      `INSERT INTO push_device (account_id, platform, token, p256dh, auth)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (platform, token) DO UPDATE
         SET account_id = EXCLUDED.account_id, p256dh = EXCLUDED.p256dh,
             auth = EXCLUDED.auth, update_at = now()
       RETURNING ${COLUMNS}`,
      [
        accountId,
        device.platform,
        device.token,
        device.keys?.p256dh ?? null,
        device.keys?.auth ?? null,
      ],
    );
    return toRecord(row!);
  }

  async unregister(
    accountId: number,
    platform: PushDevicePlatform,
    token: string,
  ): Promise<boolean> {
    const gone = await rows<{ id: string }>(
      this.em,
      'DELETE FROM push_device WHERE account_id = ? AND platform = ? AND token = ? RETURNING id',
      [accountId, platform, token],
    );
    return gone.length > 0;
  }

  async listOf(accountId: number): Promise<PushDeviceRecord[]> {
    const found = await rows<Row>(
      this.em,
      `SELECT ${COLUMNS} FROM push_device WHERE account_id = ? ORDER BY id`,
      [accountId],
    );
    return found.map(toRecord);
  }

  async targetsFor(
    relationId: number,
    accountIds: readonly number[],
    dnd: { mentioned: readonly number[]; mentionsBreakDnd: boolean } = {
      mentioned: [],
      mentionsBreakDnd: false,
    },
  ): Promise<PushDeviceRecord[]> {
    if (accountIds.length === 0) return [];
    // Array literals travel as text: `rows` would expand a JavaScript array into a list.
    // The account's own choice, else the server's default, in the same query: the worker
    // reads do-not-disturb and the preference of every offline account at once.
    const found = await rows<Row>(
      this.em,
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `d.${c}`)
        .join(', ')}
         FROM push_device d
         JOIN setting s ON s.account_id = d.account_id AND s.relation_id = ?
         JOIN account a ON a.id = d.account_id
        WHERE d.account_id = ANY(?::bigint[])
          AND (NOT s.is_not_disturb
               OR (d.account_id = ANY(?::bigint[])
                   AND COALESCE(a.push_mentions_break_dnd, ?::boolean)))
        ORDER BY d.account_id, d.id`,
      [
        relationId,
        `{${accountIds.join(',')}}`,
        `{${dnd.mentioned.join(',')}}`,
        dnd.mentionsBreakDnd,
      ],
    );
    return found.map(toRecord);
  }

  async namesFor(
    relationId: number,
    senderId: number | null,
  ): Promise<{ groupName: string | null; senderName: string | null }> {
    const [row] = await rows<{ group_name: string | null; sender_name: string | null }>(
      this.em,
      `SELECT (SELECT CASE WHEN relation_type = 'group' THEN group_name END
                 FROM relation WHERE id = ?) AS group_name,
              (SELECT name FROM account WHERE id = ?) AS sender_name`,
      [relationId, senderId ?? 0],
    );
    return { groupName: row?.group_name ?? null, senderName: row?.sender_name ?? null };
  }

  async removeDead(id: number, token: string): Promise<number | null> {
    const [gone] = await rows<{ account_id: string }>(
      this.em,
      'DELETE FROM push_device WHERE id = ? AND token = ? RETURNING account_id',
      [id, token],
    );
    return gone ? Number(gone.account_id) : null;
  }

  async accountsWithDevices(accountIds: readonly number[]): Promise<Set<number>> {
    if (accountIds.length === 0) return new Set();
    // DISTINCT over the account index: one row per account, however many devices.
    const found = await rows<{ account_id: string }>(
      this.em,
      'SELECT DISTINCT account_id FROM push_device WHERE account_id = ANY(?::bigint[])',
      [`{${accountIds.join(',')}}`],
    );
    return new Set(found.map((r) => Number(r.account_id)));
  }

  async settingsOf(accountId: number): Promise<PushSettings | null> {
    const [row] = await rows<{ push_mentions_break_dnd: boolean | null }>(
      this.em,
      'SELECT push_mentions_break_dnd FROM account WHERE id = ?',
      [accountId],
    );
    return row ? { mentionsBreakDnd: row.push_mentions_break_dnd } : null;
  }

  async updateSettings(
    accountId: number,
    settings: { mentionsBreakDnd: boolean },
  ): Promise<boolean> {
    const found = await rows(
      this.em,
      'UPDATE account SET push_mentions_break_dnd = ? WHERE id = ? RETURNING id',
      [settings.mentionsBreakDnd, accountId],
    );
    return found.length > 0;
  }
}
