// The form fields of a component's config, read from its JSON Schema
// (GET /runtimes/{name}/sources|sinks/{c}/schema, generated from the `.connect` definitions):
// type, list or map, default, enum, range, `writeOnly` secrets, title and description.

/** One descriptor per property of the config object, in the schema's order. */
export function fieldsOf(schema) {
  const required = new Set(schema.required || []);
  return Object.entries(schema.properties || {}).map(([name, prop]) => field(name, prop, required.has(name)));
}

function field(name, prop, required) {
  // `anyOf: [field, {type: null}]`: optional, or null means "the default".
  const s = prop.anyOf?.some((a) => a.type === 'null') ? prop.anyOf.find((a) => a.type !== 'null') : prop;
  let kind = 'scalar';
  let item = s;
  if (s.type === 'array') {
    kind = 'list';
    item = s.items || {};
  } else if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    kind = 'map';
    item = s.additionalProperties;
  }
  return {
    name,
    label: s.title || prop.title || name,
    description: s.description || '',
    default: s.default,
    examples: s.examples || [],
    secret: s.writeOnly === true,
    optional: !required,
    kind,
    ...valueOf(withoutReference(item)),
  };
}

/** Every value may also be a `${env:…}`/`${file:…}` reference: the value's own schema is the other one. */
function withoutReference(item) {
  const refs = (a) => a.type === 'string' && typeof a.pattern === 'string' && a.pattern.includes('(env|file)');
  if (item.anyOf?.length === 2 && item.anyOf.some(refs)) return item.anyOf.find((a) => !refs(a));
  return item;
}

/** The value's type (the `.connect` names the form uses), enum and range. */
function valueOf(item) {
  const [base, ...constraints] = item.allOf || [item];
  const type = typeName(base);
  const out = { type };
  for (const c of constraints) {
    if (c.enum && !out.enum) out.enum = enumOf(c.enum, type);
    if (c.minimum !== undefined) out.min = c.minimum;
    if (c.maximum !== undefined) out.max = c.maximum;
    if (c.pattern && !out.pattern) out.pattern = c.pattern;
  }
  return out;
}

function typeName(base) {
  if (base.anyOf) return 'duration'; // a humantime string, or 0
  switch (Array.isArray(base.type) ? base.type.join('|') : base.type) {
    case 'boolean': return 'bool';
    case 'integer': return 'int';
    case 'number': return 'float';
    case 'object': return 'object';
    case 'string|object': return 'condition';
    default: return 'string';
  }
}

/** `.connect` enums list numbers and bools as strings too: keep the values of the field's own type. */
function enumOf(values, type) {
  const want = { int: 'number', float: 'number', bool: 'boolean' }[type] || 'string';
  const own = values.filter((v) => typeof v === want);
  return own.length ? own : values;
}
