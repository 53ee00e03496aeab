import type { Logger } from '@chat/logger';
import { PermissionDeniedError } from '@chat/protocol';
import type { DedupResult } from './send-dedup';

/**
 * The two checks of a `send_msg` that read the shared cache: whether the sender is a member
 * of the relation (docs/protocol.md §3.2, 2009) and the claim of its `client_msg_id`. The caller
 * issues both in the same tick before awaiting either, so that with Redis auto-pipelining
 * the membership version read (`LocalMembershipCache`) and the claim share one round trip;
 * this waits for both and answers as if membership had been checked first: a non-member is
 * refused whatever the claim found, and a claim it took is released again.
 */
export async function admitSend(
  member: Promise<boolean>,
  claiming: Promise<DedupResult> | undefined,
  log: Logger,
): Promise<DedupResult | undefined> {
  const [checked, claimed] = await Promise.allSettled([member, claiming]);
  if (checked.status === 'fulfilled' && checked.value) {
    if (claimed.status === 'rejected') throw claimed.reason;
    return claimed.value;
  }
  if (claimed.status === 'fulfilled' && claimed.value?.kind === 'claimed') {
    await claimed.value.claim
      .release()
      .catch((err: unknown) => log.warn({ err }, 'dedup release failed'));
  }
  if (checked.status === 'rejected') throw checked.reason;
  throw new PermissionDeniedError('not a member of this relation');
}
