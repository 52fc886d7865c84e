// The API reference at /api/v1/reference: the OpenAPI document as one readable page, rendered here on the server from
// the same generated document that /api/v1/openapi.json serves (so it can never disagree with the API).
//
// Why not Swagger UI, Redoc or Scalar: each is a browser application that injects inline styles and scripts (and
// Scalar and Redoc load fonts or bundles from a CDN by default). The appliance's CSP allows styles only from its own
// stylesheet files and scripts only with the response's nonce, and no request may leave the appliance (DESIGN.md 7).
// Loosening the CSP for one page would weaken it for the page that lists every route. This page needs neither: plain
// HTML styled by the app's own stylesheet (Pico and app.css), no script, readable on a phone (tables scroll sideways).
import { DocPage } from "./doc-page.tsx";
import { exampleOf, Prose, resolve, SchemaTable, type Schema, type Schemas, ScrollTable, TypeName } from "./reference-schema.tsx";

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  description?: string;
  schema: Schema;
}

interface Media {
  schema: Schema;
}

interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, Media> };
  responses: Record<string, { description: string; content?: Record<string, Media>; headers?: Record<string, { schema: Schema; description?: string }> }>;
  "x-scope"?: string;
}

/** What the page reads of the generated document. */
export interface ReferenceDocument {
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths?: Record<string, Partial<Record<string, Operation>>>;
  components?: { schemas?: Schemas; securitySchemes?: Record<string, { description?: string }> };
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

interface Entry {
  method: string;
  path: string;
  op: Operation;
  id: string;
}

function entriesByTag(doc: ReferenceDocument): Map<string, Entry[]> {
  const byTag = new Map<string, Entry[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? "Other";
      const id = `op-${op.operationId ?? `${method}-${path.replace(/[^A-Za-z0-9]+/g, "-")}`}`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method: method.toUpperCase(), path, op, id }]);
    }
  }
  return byTag;
}

/** A curl command that calls the operation with the examples of its schemas; the token comes from $KABINET_TOKEN. */
export function curlExample(base: string, e: Entry, schemas: Schemas): string {
  const params = e.op.parameters ?? [];
  const value = (p: Parameter) => String(exampleOf(p.schema, schemas) ?? p.name);
  const path = e.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const p = params.find((x) => x.in === "path" && x.name === name);
    return encodeURIComponent(p ? value(p) : name);
  });
  const query = params.filter((p) => p.in === "query" && p.required).map((p) => `${p.name}=${encodeURIComponent(value(p))}`);
  const url = `${base}${path}${query.length ? `?${query.join("&")}` : ""}`;
  const lines = [`curl -sS${e.method === "GET" ? "" : ` -X ${e.method}`} "${url}"`, `  -H "Authorization: Bearer $KABINET_TOKEN"`];
  const body = e.op.requestBody?.content["application/json"];
  if (e.method === "POST") lines.push(`  -H "Idempotency-Key: $(uuidgen)"`);
  if (body) {
    lines.push(`  -H "Content-Type: application/json"`);
    lines.push(`  -d '${JSON.stringify(exampleOf(body.schema, schemas)).replaceAll("'", "'\\''")}'`);
  }
  return lines.join(" \\\n");
}

function OperationSection(props: { e: Entry; base: string; schemas: Schemas }): JSX.Element {
  const { e, base, schemas } = props;
  const params = e.op.parameters ?? [];
  const body = e.op.requestBody?.content["application/json"];
  const statuses = Object.entries(e.op.responses);
  const success = statuses.filter(([s]) => s.startsWith("2"));
  const problems = statuses.filter(([s]) => !s.startsWith("2"));
  return (
    <article id={e.id}>
      <header>
        <h3>
          <code>{e.method}</code> <code>{e.path}</code>
        </h3>
        <p>
          <strong>{e.op.summary}</strong>
          {e.op["x-scope"] ? (
            <>
              {" · scope "}
              <code>{e.op["x-scope"]}</code>
            </>
          ) : null}
        </p>
      </header>
      <Prose text={(e.op.description ?? "").replace(/\n*Scope: `[^`]+`\.$/, "")} />
      {params.length > 0 ? (
        <>
          <h4>Parameters</h4>
          <ScrollTable label="Parameters" head={["Name", "In", "Type", "Description"]}>
            {params.map((p) => (
              <tr>
                <td>
                  <code>{p.name}</code>
                  {p.required ? "" : " (optional)"}
                </td>
                <td>{p.in}</td>
                <td>
                  <TypeName schema={p.schema} />
                </td>
                <td>
                  <Prose text={p.description ?? p.schema.description ?? ""} inline />
                </td>
              </tr>
            ))}
          </ScrollTable>
        </>
      ) : null}
      {body ? (
        <>
          <h4>Request body{e.op.requestBody?.required ? "" : " (optional)"}</h4>
          <p>
            JSON: <TypeName schema={body.schema} />
          </p>
          <SchemaTable schema={body.schema} schemas={schemas} />
        </>
      ) : null}
      {success.map(([status, r]) => {
        const [type, media] = Object.entries(r.content ?? {})[0] ?? [];
        return (
          <>
            <h4>
              Response {status}
              {type ? <> ({type})</> : null}
            </h4>
            <Prose text={r.description} />
            {media && type === "application/json" ? <SchemaTable schema={media.schema} schemas={schemas} /> : null}
          </>
        );
      })}
      <h4>Problems</h4>
      <ul>
        {problems.map(([status, r]) => (
          <li>
            <strong>{status}</strong>: <Prose text={r.description} inline />
          </li>
        ))}
      </ul>
      <h4>Example</h4>
      <pre tabindex={0} aria-label="Example request with curl">
        <code>{curlExample(base, e, schemas)}</code>
      </pre>
    </article>
  );
}

export function ReferencePage(props: { doc: ReferenceDocument }): JSX.Element {
  const { doc } = props;
  const base = doc.servers?.[0]?.url ?? "/api/v1";
  const schemas = doc.components?.schemas ?? {};
  const byTag = entriesByTag(doc);
  const auth = doc.components?.securitySchemes?.bearer?.description ?? "";
  return (
    <DocPage title={`${doc.info.title} ${doc.info.version} — reference`} current="/api/v1/reference">
      <hgroup>
        <h1>{doc.info.title}</h1>
        <p>
          Version {doc.info.version} · base URL <code>{base}</code>
        </p>
      </hgroup>
      <p>
        New here? Start with the <a href="/api/v1/guide">guide</a>: a token, the first call, then booking for a client, step by step with curl.
      </p>
      <Prose text={doc.info.description ?? ""} />
      {/* A section, not <nav>: Pico lays a nav's lists out in one row. */}
      <section id="contents">
        <h2>Contents</h2>
        <ul>
          <li>
            <a href="#authentication">Authentication and scopes</a>
          </li>
          {[...byTag].map(([tag, entries]) => (
            <li>
              <a href={`#tag-${tag}`}>{tag}</a>
              <ul>
                {entries.map((e) => (
                  <li>
                    <a href={`#${e.id}`}>
                      <code>{e.method}</code> {e.path}
                    </a>
                    {e.op.summary ? ` — ${e.op.summary}` : ""}
                  </li>
                ))}
              </ul>
            </li>
          ))}
          <li>
            <a href="#schemas">Schemas</a>
          </li>
        </ul>
      </section>
      <section id="authentication">
        <h2>Authentication and scopes</h2>
        <Prose text={auth} />
        <p>
          Every call sends <code>Authorization: Bearer kbt_…</code>. Errors are problem details (RFC 9457), <code>application/problem+json</code>: see{" "}
          <a href="#schema-Problem">Problem</a>.
        </p>
      </section>
      {[...byTag].map(([tag, entries]) => (
        <section id={`tag-${tag}`}>
          <h2>{tag}</h2>
          {entries.map((e) => (
            <OperationSection e={e} base={base} schemas={schemas} />
          ))}
        </section>
      ))}
      <section id="schemas">
        <h2>Schemas</h2>
        {Object.entries(schemas).map(([name, schema]) => (
          <article id={`schema-${name}`}>
            <h3>{name}</h3>
            <Prose text={resolve(schema, schemas).description ?? ""} />
            <SchemaTable schema={schema} schemas={schemas} />
          </article>
        ))}
      </section>
    </DocPage>
  );
}

/** The page for a generated document (api.ts is plain TypeScript, so it renders through this). */
export function renderReference(doc: unknown): JSX.Element {
  return <ReferencePage doc={doc as ReferenceDocument} />;
}
