/**
 * Checks real answers against the public API's OpenAPI document with ajv (JSON Schema 2020-12): the documented
 * operation and status must exist, the body must match the response schema for its media type and every header the
 * response marks required must be present and match its schema. Used by the service tests and the e2e test.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;

/** One answer as a test saw it. */
export interface SeenResponse {
  method: string;
  /** The request path as sent (query allowed). */
  path: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
}

/** Validates answers against one document; `check` throws an Error listing every mismatch. */
export interface OpenApiContract {
  check(seen: SeenResponse): void;
  /** How many answers were checked, by `METHOD template status`. */
  readonly checked: Map<string, number>;
  /** Compiles every schema the document references and checks every other $ref resolves; returns how many refs. */
  compileAll(): number;
}

function resolve(doc: Json, value: unknown): Json {
  let node = value as Json;
  while (node && typeof node.$ref === 'string') {
    node = (node.$ref as string)
      .replace(/^#\//, '')
      .split('/')
      .reduce<Json>((at, key) => at?.[key.replace(/~1/g, '/').replace(/~0/g, '~')] as Json, doc);
  }
  return node;
}

/** Prepares ajv for `doc` (refs into #/components resolve through the document itself). */
export function openApiContract(doc: Json): OpenApiContract {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  // The document is registered whole so `#/components/schemas/…` references resolve; its non-schema members are just data.
  ajv.addVocabulary(['openapi', 'info', 'servers', 'tags', 'paths', 'components', 'security', 'x-portico-quota']);
  ajv.addSchema(doc, 'openapi.json');
  const paths = Object.keys(doc.paths as Json).map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  const checked = new Map<string, number>();

  const refs = (value: unknown, found = new Set<string>()): Set<string> => {
    if (Array.isArray(value)) value.forEach((v) => refs(v, found));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === '$ref' && typeof v === 'string') found.add(v);
        else refs(v, found);
      }
    }
    return found;
  };

  return {
    checked,
    compileAll() {
      const all = refs(doc);
      for (const ref of all) {
        if (ref.startsWith('#/components/schemas/')) {
          if (!ajv.getSchema(`openapi.json${ref}`)) throw new Error(`${ref} does not compile`);
        } else if (resolve(doc, { $ref: ref }) === undefined) throw new Error(`${ref} does not resolve`);
      }
      return all.size;
    },
    check(seen) {
      const pathname = seen.path.split('?')[0] ?? seen.path;
      const template = paths.find((p) => p.pattern.test(pathname))?.template;
      if (!template) throw new Error(`${seen.method} ${pathname}: no such path in the OpenAPI document`);
      const method = seen.method.toLowerCase();
      const operation = (doc.paths as Record<string, Json>)[template]?.[method] as Json | undefined;
      if (!operation) throw new Error(`${seen.method} ${template}: no such operation in the OpenAPI document`);
      const responses = operation.responses as Json;
      const key = String(seen.status) in responses ? String(seen.status) : 'default';
      if (!(key in responses)) throw new Error(`${seen.method} ${template}: status ${seen.status} is not documented`);
      const response = resolve(doc, responses[key]);
      const problems: string[] = [];

      for (const [name, headerRef] of Object.entries((response.headers ?? {}) as Json)) {
        const header = resolve(doc, headerRef);
        const raw = seen.headers[name.toLowerCase()];
        const value = Array.isArray(raw) ? raw.join(', ') : raw;
        if (value === undefined) {
          if (header.required === true) problems.push(`header ${name} is required but missing`);
          continue;
        }
        const validate = ajv.compile(header.schema as Json);
        if (!validate(value)) problems.push(`header ${name} "${value}": ${ajv.errorsText(validate.errors)}`);
      }

      const content = response.content as Record<string, Json> | undefined;
      const type =
        String(seen.headers['content-type'] ?? '')
          .split(';')[0]
          ?.trim() ?? '';
      if (!content) {
        if (seen.body !== undefined && seen.body !== '') problems.push('a body was sent where none is documented');
      } else if (!content[type]) {
        problems.push(`content type "${type}" is not documented (documented: ${Object.keys(content).join(', ')})`);
      } else {
        const schema = content[type]?.schema as Json;
        // Every documented body is a $ref into #/components, resolved through the registered document.
        if (typeof schema?.$ref !== 'string') throw new Error(`${seen.method} ${template} ${key}: inline response schemas are not supported by this checker`);
        const validate = ajv.getSchema(`openapi.json${schema.$ref}`);
        if (!validate) throw new Error(`${schema.$ref} does not resolve`);
        if (!validate(seen.body)) problems.push(`body: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
      }
      if (problems.length) throw new Error(`${seen.method} ${seen.path} → ${seen.status} does not match the OpenAPI document:\n  ${problems.join('\n  ')}`);
      const label = `${seen.method} ${template} ${key}`;
      checked.set(label, (checked.get(label) ?? 0) + 1);
    },
  };
}
