/** A JSON Schema node of the api's OpenAPI document, as far as the generator reads it. */
export interface SchemaNode {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  format?: string;
  description?: string;
}

export interface Field {
  name: string;
  required: boolean;
  schema: SchemaNode;
}

/** One REST operation, read from the api's own OpenAPI document. */
export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  auth: 'none' | 'user' | 'account';
  input: 'none' | 'query' | 'body' | 'multipart';
  fields: Field[];
  /** Every code the operation documents (its "Status codes:" line), and 0. */
  codes: Set<number>;
  /**
   * The body is one of several shapes (`oneOf`, e.g. a push device by platform): the
   * operation is listed once per shape, each with that shape's fields, and this names the
   * shape by its discriminator's value (or its position).
   */
  variant?: string;
  /** Multipart operations: the file part's field, what it takes and its size limits. */
  upload?: { field: string; accept: 'image' | 'any'; maxImageBytes: number; maxFileBytes: number };
}

/**
 * The file part of a multipart form, from its description in the document: "a JPEG, PNG,
 * GIF or WebP image, …; at most N bytes" or "any file, …; images at most N bytes, other
 * files at most M".
 */
function uploadOf(field: string, description: string): NonNullable<Operation['upload']> {
  const images = /images at most (\d+) bytes, other files at most (\d+)/.exec(description);
  if (images) {
    return {
      field,
      accept: 'any',
      maxImageBytes: Number(images[1]),
      maxFileBytes: Number(images[2]),
    };
  }
  const only = /image.*at most (\d+) bytes/.exec(description);
  if (!only) throw new Error(`file part ${field}: no limits in ${JSON.stringify(description)}`);
  return { field, accept: 'image', maxImageBytes: Number(only[1]), maxFileBytes: 0 };
}

/** The properties of an object schema, as fields. */
function fieldsOf(schema: SchemaNode): Field[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, node]) => ({
    name,
    required: required.has(name),
    schema: node,
  }));
}

/** `platform=fcm` for a shape whose property `platform` is the constant `"fcm"`. */
function discriminatorOf(shape: SchemaNode): string | undefined {
  const entry = Object.entries(shape.properties ?? {}).find(([, p]) => p.const !== undefined);
  return entry && `${entry[0]}=${String(entry[1].const)}`;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        description?: string;
        security?: Record<string, unknown>[];
        parameters?: { name: string; in: string; required?: boolean; schema: SchemaNode }[];
        requestBody?: { content: Record<string, { schema: SchemaNode }> };
      }
    >
  >;
}

/**
 * The operations of the running api, from `/api/openapi.json`: paths, token kinds, inputs
 * and the status codes each documents. The oracle holds every answer to these codes.
 */
export async function loadOperations(baseUrl: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${baseUrl}/api/openapi.json`)).json()) as OpenApiDoc;
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const scheme = Object.keys(op.security?.[0] ?? {})[0];
      const auth = scheme === 'userToken' ? 'user' : scheme === 'accountToken' ? 'account' : 'none';
      const codesLine = /Status codes: (.*)\.$/.exec(op.description ?? '')?.[1];
      if (!codesLine) throw new Error(`${method} ${path}: no "Status codes:" in its description`);
      const codes = new Set([0, ...codesLine.split('; ').map((c) => Number(c.split(' ')[0]))]);
      let input: Operation['input'] = 'none';
      let fields: Field[] = [];
      let upload: Operation['upload'];
      /** The body's shapes: one unless it is a `oneOf`. */
      let shapes: { variant?: string; fields: Field[] }[] = [{ fields: [] }];
      if (op.parameters?.length) {
        input = 'query';
        fields = op.parameters
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: !!p.required, schema: p.schema }));
      } else if (op.requestBody) {
        const [type, media] = Object.entries(op.requestBody.content)[0];
        input = type === 'multipart/form-data' ? 'multipart' : 'body';
        fields = fieldsOf(media.schema);
        if (media.schema.oneOf) {
          shapes = media.schema.oneOf.map((shape, i) => ({
            variant: discriminatorOf(shape) ?? String(i),
            fields: fieldsOf(shape),
          }));
        }
        const file = fields.find((f) => f.schema.format === 'binary');
        if (input === 'multipart' && file) {
          upload = uploadOf(file.name, file.schema.description ?? '');
          fields = fields.filter((f) => f !== file);
        }
      }
      if (shapes.length === 1) shapes[0].fields = fields;
      for (const shape of shapes) {
        ops.push({
          method: method.toUpperCase() as Operation['method'],
          path,
          auth,
          input,
          fields: shape.fields,
          codes,
          upload,
          variant: shape.variant,
        });
      }
    }
  }
  return ops;
}
