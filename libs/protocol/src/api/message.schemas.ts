import { z } from 'zod';
import { msgExtend } from '../ws/frames';
import { id, optionalQueryId, paging, queryId, text } from './fields';
import type { InputLimits } from './schemas';

/** Unix seconds from the query string: an integer ≥ 1 (docs/api.md §1.2). */
const unixSeconds = z
  .string({ error: 'is required' })
  .regex(/^\d{1,12}$/, { error: 'must be unix seconds' })
  .transform(Number)
  .pipe(z.number().int().min(1, { error: 'must be unix seconds ≥ 1' }));

/** `relation_id` of a search: absent, empty or 0 searches every conversation of the caller. */
const searchScope = optionalQueryId('must be a conversation id, or 0 for every conversation');

const time = z.string().meta({ format: 'date-time' });
const outId = z.number().int();
const flag = (name: string) => z.boolean({ error: `${name} is required (true or false)` });

const RlyMsgOut = z
  .object({
    msg_id: outId,
    msg_type: z.enum(['text', 'file']),
    msg_content: z.string(),
    msg_extend: msgExtend,
    is_revoke: z.boolean(),
  })
  .meta({ id: 'RlyMsg' });

/**
 * A reaction: one emoji (one grapheme, at most 16 UTF-16 units: flags and skin tones
 * included) or one of the short words of `REACTION_WORDS`.
 */
export const REACTION_WORDS = ['+1', '-1', 'ok', 'done', 'lol'] as const;

const EMOJI = /^\p{Extended_Pictographic}|^\p{Regional_Indicator}|^[0-9#*]\uFE0F?\u20E3$/u;
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** True when `s` is one emoji grapheme or one of `REACTION_WORDS`. */
export function isReaction(s: string): boolean {
  if ((REACTION_WORDS as readonly string[]).includes(s)) return true;
  if (s.length === 0 || s.length > 16) return false;
  const graphemes = [...segmenter.segment(s)];
  return graphemes.length === 1 && EMOJI.test(s);
}

export const reactionField = z
  .string({ error: 'is required' })
  .refine(isReaction, { error: 'must be one emoji or one of ' + REACTION_WORDS.join(' ') });

const ReactionOut = z
  .object({
    emoji: z.string(),
    count: z.number().int(),
    me: z.boolean().meta({ description: 'the viewer reacted with it' }),
  })
  .meta({ id: 'Reaction' });

export const MsgInfoOut = z
  .object({
    id: outId,
    notify_type: z.enum(['common', 'system']),
    msg_type: z.enum(['text', 'file']),
    msg_content: z.string(),
    msg_extend: msgExtend,
    file_id: outId,
    account_id: outId,
    relation_id: outId,
    create_at: time,
    is_revoke: z.boolean(),
    is_top: z.boolean(),
    is_pin: z.boolean(),
    pin_time: time,
    read_ids: z.array(outId).nullable(),
    reply_count: z.number().int(),
    seq: z.number().int().meta({ description: 'per-relation sequence number (1, 2, …)' }),
    edit_at: time.nullable().meta({ description: 'when the sender last edited it; null if never' }),
    mentioned_me: z.boolean().meta({ description: 'the viewer is mentioned (by name or @all)' }),
    reactions: z.array(ReactionOut),
  })
  .meta({ id: 'MsgInfo' });

export const MsgInfoWithRlyOut = MsgInfoOut.extend({ rly_msg: RlyMsgOut.nullable() }).meta({
  id: 'MsgInfoWithRly',
});

export const BriefMsgInfoOut = z
  .object({
    id: outId,
    notify_type: z.enum(['common', 'system']),
    msg_type: z.enum(['text', 'file']),
    msg_content: z.string(),
    msg_extend: msgExtend,
    file_id: outId,
    account_id: outId,
    relation_id: outId,
    create_at: time,
  })
  .meta({ id: 'BriefMsgInfo' });

const list = <T extends z.ZodType>(item: T) =>
  z.object({ list: z.array(item), total: z.number().int() });

/** Most relations one sync call may name, and most messages per relation it returns. */
export const SYNC_MAX_RELATIONS = 100;
export const SYNC_MAX_LIMIT = 500;
/**
 * Most messages one sync call returns in all: each relation gets at most
 * `min(limit, SYNC_MAX_MESSAGES ÷ relations)` (at least 1), and `has_more` says where to
 * call again. Bounds the rows, JSON and memory of one request whatever it names.
 */
export const SYNC_MAX_MESSAGES = 2000;

/** The message area of docs/api.md §11, plus the sequence-based sync endpoint. */
export function messageSchemas(l: InputLimits) {
  const page = paging(l.defaultPageSize, l.maxPageSize);
  return {
    listTime: {
      query: page.extend({ relation_id: queryId, last_time: unixSeconds }),
      reply: list(MsgInfoWithRlyOut),
    },
    listFeed: {
      query: page.extend({ last_time: unixSeconds }),
      reply: list(MsgInfoWithRlyOut.extend({ has_read: z.boolean() })),
    },
    listPin: { query: page.extend({ relation_id: queryId }), reply: list(MsgInfoOut) },
    listRly: {
      query: page.extend({ relation_id: queryId, rly_msg_id: queryId }),
      reply: list(MsgInfoOut),
    },
    listContent: {
      query: page.extend({ content: text(1, 1000), relation_id: searchScope }),
      reply: list(BriefMsgInfoOut),
    },
    infoTop: {
      query: z.object({ relation_id: queryId }),
      reply: z.object({ msg_info: MsgInfoOut }).nullable(),
    },
    updatePin: { body: z.object({ id, relation_id: id, is_pin: flag('is_pin') }) },
    updateTop: { body: z.object({ id, relation_id: id, is_top: flag('is_top') }) },
    updateRevoke: { body: z.object({ id }) },
    updateEdit: { body: z.object({ id, msg_content: text(1, 1000) }) },
    updateReaction: {
      body: z.object({ id, emoji: reactionField, state: flag('state') }),
    },
    listMention: {
      query: page.extend({ relation_id: searchScope }),
      reply: list(MsgInfoWithRlyOut),
    },
    sync: {
      body: z.object({
        relations: z
          .array(
            z.object({
              relation_id: id,
              after_seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
              after_change: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().meta({
                description:
                  'the last_change of the previous sync: messages up to after_seq changed since come back in `changed`; absent, none do',
              }),
            }),
          )
          .min(1)
          .max(SYNC_MAX_RELATIONS),
        limit: z.number().int().min(1).max(SYNC_MAX_LIMIT).optional(),
      }),
      reply: z.object({
        list: z.array(
          z.object({
            relation_id: outId,
            messages: z.array(MsgInfoWithRlyOut),
            last_seq: z.number().int().meta({ description: 'the relation’s newest sequence now' }),
            changed: z.array(MsgInfoWithRlyOut).meta({
              description:
                'messages with seq ≤ after_seq edited, reacted to, revoked, pinned or topped since after_change, in the order of their last change',
            }),
            last_change: z.number().int().meta({
              description: 'the change counter to send as after_change next time',
            }),
            has_more: z.boolean(),
            unread_mentions: z
              .number()
              .int()
              .meta({ description: 'messages mentioning the caller after its read cursor' }),
          }),
        ),
      }),
    },
  };
}

export type MessageSchemas = ReturnType<typeof messageSchemas>;
