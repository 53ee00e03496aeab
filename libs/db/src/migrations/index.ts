import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261126000000_initial } from './Migration20261126000000_initial';
import { Migration20261127000000_message_seq } from './Migration20261127000000_message_seq';
import { Migration20261128000000_message_search } from './Migration20261128000000_message_search';
import { Migration20261203120000_outbox } from './Migration20261203120000_outbox';
import { Migration20261203130000_token_epoch } from './Migration20261203130000_token_epoch';
import { Migration20261205090000_client_msg_id_window } from './Migration20261205090000_client_msg_id_window';
import { Migration20261206100000_presence_hidden } from './Migration20261206100000_presence_hidden';
import { Migration20261206200000_mentions_edit_reactions } from './Migration20261206200000_mentions_edit_reactions';
import { Migration20261207100000_blocks_mutes } from './Migration20261207100000_blocks_mutes';
import { Migration20261208100000_push_devices } from './Migration20261208100000_push_devices';
import { Migration20261210130000_push_settings } from './Migration20261210130000_push_settings';
import { Migration20261211100000_message_changes } from './Migration20261211100000_message_changes';

/**
 * Every migration, oldest first, registered explicitly: no glob or file discovery, so it
 * works bundled and under any transpiler. Names are given as strings because a bundler
 * may rename classes, and the name is what `mikro_orm_migrations` records. Append only.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261126000000_initial', class: Migration20261126000000_initial },
  { name: 'Migration20261127000000_message_seq', class: Migration20261127000000_message_seq },
  {
    name: 'Migration20261128000000_message_search',
    class: Migration20261128000000_message_search,
  },
  { name: 'Migration20261203120000_outbox', class: Migration20261203120000_outbox },
  { name: 'Migration20261203130000_token_epoch', class: Migration20261203130000_token_epoch },
  {
    name: 'Migration20261205090000_client_msg_id_window',
    class: Migration20261205090000_client_msg_id_window,
  },
  {
    name: 'Migration20261206100000_presence_hidden',
    class: Migration20261206100000_presence_hidden,
  },
  {
    name: 'Migration20261206200000_mentions_edit_reactions',
    class: Migration20261206200000_mentions_edit_reactions,
  },
  { name: 'Migration20261207100000_blocks_mutes', class: Migration20261207100000_blocks_mutes },
  { name: 'Migration20261208100000_push_devices', class: Migration20261208100000_push_devices },
  { name: 'Migration20261210130000_push_settings', class: Migration20261210130000_push_settings },
  {
    name: 'Migration20261211100000_message_changes',
    class: Migration20261211100000_message_changes,
  },
];
