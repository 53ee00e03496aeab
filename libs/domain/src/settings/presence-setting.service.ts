import { AppError, ErrorCode } from '@chat/protocol';
import type { PresenceSettingsRepository } from '@chat/db';
import type { UnitOfWork } from '../ports';

export interface PresenceSettingServiceDeps {
  presence: Pick<PresenceSettingsRepository, 'hidden' | 'setHidden'>;
  /** The change and its `chat.presence` record commit together. */
  work: UnitOfWork;
}

/**
 * `GET` and `PUT /api/setting/presence` (docs/api.md §9): the caller's `presence_hidden`,
 * the setting the WebSocket frame `presence_hidden` changes (docs/protocol.md §3.6). A
 * change goes out as the frame's does, a `chat.presence` record keyed by the account, which
 * every gateway reads to push `presence` to the subscribers whose view changed.
 */
export class PresenceSettingService {
  constructor(private readonly d: PresenceSettingServiceDeps) {}

  async get(callerId: number): Promise<{ hidden: boolean }> {
    const hidden = (await this.d.presence.hidden([callerId])).get(callerId);
    if (hidden === undefined) throw new AppError(ErrorCode.AccountNotFound);
    return { hidden };
  }

  /** Always announced, as the frame is: an unchanged value pushes nothing to anyone. */
  async set(callerId: number, hidden: boolean): Promise<{ hidden: boolean }> {
    await this.d.work.run(async (outbox) => {
      if (!(await this.d.presence.setHidden(callerId, hidden))) {
        throw new AppError(ErrorCode.AccountNotFound);
      }
      outbox.presence(callerId);
    });
    return { hidden };
  }
}
