// The pieces of the API reference page that read JSON Schema (as the OpenAPI 3.1 document holds it): a type's short
// name, a schema as a table of its fields, an example value built from the schema's own examples, and a description's
// few marks of Markdown (`code`, paragraphs, "- " lists) as HTML. Pure: no request, no database.
import type { Child } from "hono/jsx";

export interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  example?: unknown;
  default?: unknown;
  format?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

export type Schemas = Record<string, Schema>;

export const refName = (ref: string): string => ref.split("/").pop() ?? ref;

/** The schema a $ref points at (one level), else the schema itself. */
export function resolve(schema: Schema, schemas: Schemas): Schema {
  return schema.$ref ? (schemas[refName(schema.$ref)] ?? {}) : schema;
}

/** "string", "integer ≤ 200", "array of Client", "en | ru", with named schemas as links to their table. */
export function TypeName(props: { schema: Schema }): JSX.Element {
  const s = props.schema;
  if (s.$ref) {
    const name = refName(s.$ref);
    return <a href={`#schema-${name}`}>{name}</a>;
  }
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return <>{variants.map((v, i) => <>{i > 0 ? " or " : ""}<TypeName schema={v} /></>)}</>;
  if (s.enum) return <>{s.enum.map((v, i) => <>{i > 0 ? " | " : ""}<code>{v === null ? "null" : String(v)}</code></>)}</>;
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const main = types.filter((t) => t !== "null");
  const nullable = types.includes("null") ? " or null" : "";
  if (main[0] === "array" && s.items) return <>array of <TypeName schema={s.items} />{nullable}</>;
  const bounds = [s.format, s.minimum !== undefined ? `≥ ${s.minimum}` : "", s.maximum !== undefined ? `≤ ${s.maximum}` : "", s.maxLength !== undefined ? `≤ ${s.maxLength} chars` : ""].filter(Boolean).join(", ");
  return <>{(main.join(" or ") || "any") + (bounds ? ` (${bounds})` : "") + nullable}</>;
}

/** An object schema's fields as a table; anything else as its type. */
export function SchemaTable(props: { schema: Schema; schemas: Schemas }): JSX.Element {
  const s = resolve(props.schema, props.schemas);
  const fields = Object.entries(s.properties ?? {});
  if (fields.length === 0) return <p>{props.schema.$ref ? <TypeName schema={props.schema} /> : <TypeName schema={s} />}</p>;
  const required = new Set(s.required ?? []);
  return (
    <ScrollTable label="Fields" head={["Field", "Type", "Description"]}>
      {fields.map(([name, field]) => (
        <tr>
          <td>
            <code>{name}</code>
            {required.has(name) ? "" : " (optional)"}
          </td>
          <td>
            <TypeName schema={field} />
          </td>
          <td>
            <Prose text={field.description ?? ""} inline />
            {field.example !== undefined && !field.$ref ? (
              <>
                {" "}
                Example: <code>{JSON.stringify(field.example)}</code>
              </>
            ) : null}
          </td>
        </tr>
      ))}
    </ScrollTable>
  );
}

/** A table in its own box: a wide one scrolls sideways on a phone, and the box is focusable so a keyboard can too. */
export function ScrollTable(props: { label: string; head: readonly string[]; children: Child }): JSX.Element {
  return (
    <div class="overflow-auto" tabindex={0} role="region" aria-label={props.label}>
      <table>
        <thead>
          <tr>
            {props.head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** A value of the schema made of its examples (or plain placeholders), for the curl examples. */
export function exampleOf(schema: Schema, schemas: Schemas, depth = 0): unknown {
  if (schema.example !== undefined) return schema.example;
  const s = resolve(schema, schemas);
  if (s.example !== undefined) return s.example;
  if (depth > 6) return null;
  if (s.enum) return s.enum.find((v) => v !== null) ?? null;
  const variant = s.anyOf?.[0] ?? s.oneOf?.[0];
  if (variant) return exampleOf(variant, schemas, depth + 1);
  const type = (Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type) ?? (s.properties ? "object" : "string");
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, exampleOf(v, schemas, depth + 1)]));
    case "array":
      return s.items ? [exampleOf(s.items, schemas, depth + 1)] : [];
    case "integer":
    case "number":
      return s.default ?? s.minimum ?? 1;
    case "boolean":
      return false;
    default:
      return s.format === "date-time" ? "2025-03-14T09:30:00.000Z" : "string";
  }
}

/** A description's Markdown marks: paragraphs, "- " lists and `code`; nothing else is interpreted (no raw HTML). */
export function Prose(props: { text: string; inline?: boolean }): JSX.Element {
  if (props.inline) return <>{withCode(props.text)}</>;
  const blocks = props.text.split(/\n{2,}/).filter((b) => b.trim());
  return (
    <>
      {blocks.map((block) => {
        const lines = block.split("\n");
        if (lines.every((l) => l.startsWith("- "))) return <ul>{lines.map((l) => <li>{withCode(l.slice(2))}</li>)}</ul>;
        return <p>{withCode(block)}</p>;
      })}
    </>
  );
}

function withCode(text: string): Child[] {
  return text.split("`").map((part, i) => (i % 2 === 1 ? <code>{part}</code> : part));
}
