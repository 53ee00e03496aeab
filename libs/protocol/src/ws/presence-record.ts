import { z } from 'zod';
import { id } from '../api/fields';

/**
 * A `chat.presence` record (docs/protocol.md §3.5): the account's presence may have changed.
 * It carries no state: each gateway with subscribers of the account reads the current state
 * (presence entries, last seen, hidden) when it handles the record, so records that arrive in
 * another order than their changes still leave every subscriber with the latest state.
 */
export const presenceChangedSchema = z.object({ account_id: id });
export type PresenceChangedRecord = z.infer<typeof presenceChangedSchema>;
