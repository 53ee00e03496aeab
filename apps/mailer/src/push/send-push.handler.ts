import type { PushDeviceRepository } from '@chat/db';
import type { JobHandler, JobQueue } from '@chat/jobs';
import type { Logger } from '@chat/logger';
import type { DeviceOwners, PushSender } from '@chat/push';
import {
  AppError,
  ErrorCode,
  describeIssues,
  pushJobSchema,
  type PushDeviceJob,
  type PushJob,
  type PushMessageJob,
} from '@chat/protocol';

export interface SendPushDeps {
  devices: Pick<PushDeviceRepository, 'targetsFor' | 'removeDead' | 'namesFor'>;
  sender: PushSender;
  /** The same `push` queue: a message job adds one device job per device. */
  queue: Pick<JobQueue<PushJob>, 'add'>;
  /** Shown as the title of every notification (`App.Name`). */
  appName: string;
  /**
   * `Push.MentionsBreakDoNotDisturb`: whether a mention notifies despite do-not-disturb, for
   * the accounts that never chose (`PUT /api/push/settings`).
   */
  mentionsBreakDnd: boolean;
  /**
   * The cached "has a device" (`DeviceOwners`), cleared for the account of a device found
   * gone, so the notifier stops queueing jobs for it. None: nothing is cleared, and the
   * entry lapses on its own (a stale "yes" costs a job that finds no device).
   */
  owners?: Pick<DeviceOwners, 'removed'>;
  log: Logger;
  /** Called with each device job's outcome, for metrics. */
  onOutcome?(outcome: 'sent' | 'dead'): void;
}

/**
 * What the notification says of a message: a group message is titled with the group's name
 * and its text starts with the sender's; a friend's message is titled with the sender's
 * name; `App.Name` stands in for a name that is gone.
 */
function notificationOf(
  job: PushMessageJob,
  names: { groupName: string | null; senderName: string | null },
  appName: string,
) {
  const text = job.msg_type === 'file' ? '[file]' : job.preview;
  const title = names.groupName ?? names.senderName ?? appName;
  const body = names.groupName !== null && names.senderName ? `${names.senderName}: ${text}` : text;
  return {
    title,
    body,
    collapse_key: `r${job.relation_id}`,
    data: {
      relation_id: String(job.relation_id),
      msg_id: String(job.msg_id),
      seq: String(job.seq),
    },
  };
}

/**
 * Who of the job's accounts are mentioned by the message: they may hear of it despite
 * do-not-disturb, each as its own setting says (`account.push_mentions_break_dnd`, else
 * `Push.MentionsBreakDoNotDisturb`). The setting is read in the devices' query itself, so
 * the decision costs nothing more, and only for accounts that are offline.
 */
export function mentionedOffline(job: PushMessageJob): number[] {
  const offline = new Set(job.accounts);
  return job.mentioned.filter((a) => offline.has(a));
}

/**
 * Runs one job of the `push` queue (docs/push-notifications.md). A `message` job finds the
 * devices of its offline accounts that may be notified (members still, conversation not
 * do-not-disturb unless mentioned and the account lets mentions through) and adds one `device` job each, so each device is
 * retried on its own. A `device` job sends through the provider; a device the provider
 * calls gone is removed. Provider failures propagate as `InfrastructureError`, retried when
 * `retryable`; a job this handler cannot read fails at once.
 */
export function sendPushHandler(deps: SendPushDeps): JobHandler<PushJob> {
  const { devices, sender, queue, log } = deps;
  return async (job) => {
    const parsed = pushJobSchema.safeParse(job.payload);
    if (!parsed.success) {
      const problem = describeIssues(parsed.error, 'job');
      log.error({ jobId: job.id, job: job.name, problem }, 'unknown push job, not sending');
      throw new AppError(ErrorCode.ServerError, `push job ${job.id}: ${problem}`);
    }
    const p = parsed.data;
    if (p.kind === 'message') {
      const targets = await devices.targetsFor(p.relation_id, p.accounts, {
        mentioned: mentionedOffline(p),
        mentionsBreakDnd: deps.mentionsBreakDnd,
      });
      const reachable = targets.filter((d) => sender.platforms.includes(d.platform));
      if (reachable.length === 0) return;
      const names = await devices.namesFor(p.relation_id, p.sender_id);
      const note = notificationOf(p, names, deps.appName);
      await Promise.all(
        reachable.map((d) =>
          queue.add(
            'device',
            {
              kind: 'device',
              device_id: d.id,
              platform: d.platform,
              token: d.token,
              keys: d.keys,
              ...note,
            } satisfies PushDeviceJob,
            { jobId: `d-${p.msg_id}-${d.id}` },
          ),
        ),
      );
      log.debug(
        {
          jobId: job.id,
          relationId: p.relation_id,
          accounts: p.accounts.length,
          devices: reachable.length,
          skipped: targets.length - reachable.length,
        },
        'push message fanned out',
      );
      return;
    }
    const outcome = await sender.send(
      { platform: p.platform, token: p.token, keys: p.keys ?? undefined },
      { title: p.title, body: p.body, collapseKey: p.collapse_key, data: p.data },
    );
    deps.onOutcome?.(outcome.kind);
    if (outcome.kind === 'dead') {
      const accountId = await devices.removeDead(p.device_id, p.token);
      if (accountId !== null && deps.owners) {
        // Best effort: the row is gone already, and a stale entry only costs a job.
        await deps.owners
          .removed([accountId])
          .catch((err: unknown) => log.warn({ err, accountId }, 'push device entry not cleared'));
      }
      log.info(
        {
          jobId: job.id,
          deviceId: p.device_id,
          platform: p.platform,
          reason: outcome.reason,
          removed: accountId !== null,
        },
        'push device gone, unregistered',
      );
      return;
    }
    log.info(
      {
        jobId: job.id,
        attempt: job.attempt,
        deviceId: p.device_id,
        platform: p.platform,
        id: outcome.id,
      },
      'push notification sent',
    );
  };
}
