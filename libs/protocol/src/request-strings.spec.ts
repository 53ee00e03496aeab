import type { z } from 'zod';
import { fileSchemas } from './api/file.schemas';
import { groupSchemas } from './api/group.schemas';
import { messageSchemas } from './api/message.schemas';
import { userAccountSchemas, type InputLimits } from './api/schemas';
import { socialSchemas } from './api/social.schemas';
import { CLIENT_DATA } from './ws/frames';

/** The widest limits the config allows where a column bounds them (Rule.UsernameLenMax ≤ 32). */
const LIMITS: InputLimits = {
  passwordLenMin: 6,
  passwordLenMax: 32,
  usernameLenMin: 1,
  usernameLenMax: 32,
  codeLength: 6,
  defaultPageSize: 10,
  maxPageSize: 200,
};

/** Every input schema of the protocol: frame data by event, REST input by route and part. */
function inputSchemas(): [string, z.ZodType][] {
  const out: [string, z.ZodType][] = Object.entries(CLIENT_DATA).map(([event, schema]) => [
    `ws ${event}`,
    schema,
  ]);
  const areas = {
    ...userAccountSchemas(LIMITS),
    ...messageSchemas(LIMITS),
    ...groupSchemas(LIMITS),
    ...socialSchemas(LIMITS),
    ...fileSchemas(LIMITS),
  };
  for (const [route, parts] of Object.entries(areas)) {
    for (const [part, schema] of Object.entries(parts as Record<string, z.ZodType>)) {
      if (part !== 'reply') out.push([`rest ${route}.${part}`, schema]);
    }
  }
  return out;
}

interface Leaf {
  path: string;
  schema: z.ZodType;
}

/**
 * The string schemas inside `schema`, and the places where an input could carry a value
 * no schema looks at (`unknown`, `any`): those would reach the domain unchecked.
 */
function leaves(schema: z.ZodType, path: string, strings: Leaf[], unchecked: string[]): void {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })
    ._zod.def;
  const walk = (s: unknown, p = path) => leaves(s as z.ZodType, p, strings, unchecked);
  switch (def.type) {
    case 'string':
      strings.push({ path, schema });
      break;
    case 'object':
      for (const [key, value] of Object.entries(def.shape as Record<string, unknown>)) {
        walk(value, `${path}.${key}`);
      }
      break;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      walk(def.innerType);
      break;
    case 'pipe':
      walk(def.in);
      walk(def.out);
      break;
    case 'array':
      walk(def.element, `${path}[]`);
      break;
    case 'union':
      for (const option of def.options as unknown[]) walk(option);
      break;
    case 'record':
      walk(def.valueType, `${path}{}`);
      break;
    case 'unknown':
    case 'any':
      unchecked.push(path);
      break;
    default:
    // number, boolean, enum, literal, transform: nothing of a client's text.
  }
}

describe('every string of a frame or a request', () => {
  const strings: Leaf[] = [];
  const unchecked: string[] = [];
  for (const [name, schema] of inputSchemas()) leaves(schema, name, strings, unchecked);

  it('finds the input schemas and their strings', () => {
    expect(strings.map((s) => s.path)).toEqual(
      expect.arrayContaining([
        'ws send_msg.msg_content',
        'ws send_msg.client_msg_id',
        'rest accountCreate.body.signature',
        'rest notifyCreate.body.msg_content',
        'rest applicationCreate.body.apply_msg',
        'rest listContent.query.content',
      ]),
    );
    expect(unchecked).toEqual([]);
  });

  // U+0000 and lone surrogates are what PostgreSQL refuses or alters (fields.ts,
  // `unstorableText`); each string schema must refuse them so the request gets 1001.
  it.each(['ok\u0000', 'ok\ud800', '\udfffok'])('refuses %j wherever a string is read', (bad) => {
    const accepted = strings.filter((s) => s.schema.safeParse(bad).success).map((s) => s.path);
    expect(accepted).toEqual([]);
  });
});
