import {
  CLIENT_DATA,
  CLIENT_EVENTS,
  ERROR_MESSAGES,
  ErrorCode,
  PUSH_EVENTS,
  describeIssues,
  requestFrame,
  type ClientEvent,
  type ReplyFrame,
} from '@chat/protocol';
import type { z } from 'zod';

/** A text frame read as a request envelope (docs/protocol.md §1). */
export type ParsedFrame =
  /** `event` is `''` when it is missing, and null when it is not a string. */
  | { ok: true; id: number; event: string | null; data: unknown }
  /** Not a request at all: answered with an `error` push, since there is no id to reply to. */
  | { ok: false; reason: string };

/**
 * Reads one frame (docs/protocol.md §1.1). `text` is null for a binary frame. Only the envelope is
 * checked here: an unknown event or bad data still has an id, so it gets a reply instead.
 */
export function parseFrame(text: string | null): ParsedFrame {
  if (text === null) return { ok: false, reason: 'binary frames are not accepted' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'frame is not a JSON object' };
  }
  const frame = value as Record<string, unknown>;
  const id = requestFrame.shape.id.safeParse(frame.id);
  if (!id.success) return { ok: false, reason: `id: ${id.error.issues[0].message}` };
  // Never converted: `["ping"]` is no event name, and `String()` of `{"toString":1}` throws.
  const event =
    frame.event === undefined ? '' : typeof frame.event === 'string' ? frame.event : null;
  return { ok: true, id: id.data, event, data: frame.data };
}

export function isClientEvent(event: string | null): event is ClientEvent {
  return event !== null && (CLIENT_EVENTS as readonly string[]).includes(event);
}

export type ClientData = { [E in ClientEvent]: z.infer<(typeof CLIENT_DATA)[E]> };

/** Validates a request's `data` (docs/protocol.md §1.1: 1001 naming the field). */
export function validateData<E extends ClientEvent>(
  event: E,
  data: unknown,
): { ok: true; data: ClientData[E] } | { ok: false; detail: string } {
  const result = CLIENT_DATA[event].safeParse(data);
  if (result.success) return { ok: true, data: result.data as ClientData[E] };
  return { ok: false, detail: describeIssues(result.error, 'data') };
}

/** The reply to request `id`; `data` only on success (docs/protocol.md §1). */
export function replyText(id: number, code: ErrorCode, message?: string, data?: unknown): string {
  const frame: ReplyFrame = {
    id,
    status_code: code,
    status_msg: message ?? ERROR_MESSAGES[code],
  };
  // An error carries data only where it tells the client what to do: 1004's retry_after_ms,
  // 7004's muted_until.
  const hasData =
    code === ErrorCode.Success ||
    code === ErrorCode.TooManyRequests ||
    code === ErrorCode.MemberMuted;
  if (hasData && data !== undefined) frame.data = data;
  return JSON.stringify(frame);
}

/** An `error` push (docs/protocol.md §4): unparseable frame, failed upgrade auth, expired token. */
export function errorPushText(code: ErrorCode, message?: string): string {
  return pushText(PUSH_EVENTS.error, {
    status_code: code,
    status_msg: message ?? ERROR_MESSAGES[code],
  });
}

export function pushText(event: string, data: unknown): string {
  return JSON.stringify({ event, data });
}
