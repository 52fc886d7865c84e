// Form pieces: every field has a label; an error sits next to its field, is tied to it with aria-describedby and
// announced by the summary (role="alert") at the top of the form.
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Locale } from "../i18n/messages.ts";
import { zoneName } from "../i18n/zones.ts";

export type FieldErrors = Readonly<Record<string, string | undefined>>;

export interface FieldProps {
  name: string;
  label: string;
  type?: "text" | "email" | "password" | "date" | "search" | "time";
  value?: string;
  error?: string;
  hint?: string;
  autocomplete?: string;
  inputmode?: "numeric" | "text" | "email";
  required?: boolean;
  autofocus?: boolean;
  pattern?: string;
  maxlength?: number;
  /** Distinguishes fields of the same name in two forms on one page (ids must be unique). */
  idPrefix?: string;
}

export function Field(p: FieldProps): JSX.Element {
  const id = `f-${p.idPrefix ?? ""}${p.name}`;
  const describedBy = [p.error ? `${id}-error` : null, p.hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;
  // The hint and the error sit after the label, not inside it, so the field's accessible name is the label alone;
  // aria-describedby reads them after it.
  return (
    <>
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? "text"}
        value={p.type === "password" ? undefined : p.value}
        autocomplete={p.autocomplete}
        inputmode={p.inputmode}
        required={p.required}
        autofocus={p.autofocus}
        pattern={p.pattern}
        maxlength={p.maxlength}
        aria-invalid={p.error ? "true" : undefined}
        aria-describedby={describedBy}
      />
      {p.error ? <small id={`${id}-error`}>{p.error}</small> : null}
      {p.hint ? <small id={`${id}-hint`}>{p.hint}</small> : null}
    </>
  );
}

/** A multi-line field, with its label, error and hint tied to it like Field's. */
export function TextArea(p: { name: string; label: string; value: string; error?: string; hint?: string; rows?: number }): JSX.Element {
  const id = `f-${p.name}`;
  const describedBy = [p.error ? `${id}-error` : null, p.hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;
  return (
    <>
      <label for={id}>{p.label}</label>
      <textarea id={id} name={p.name} rows={p.rows ?? 3} maxlength={2000} aria-invalid={p.error ? "true" : undefined} aria-describedby={describedBy}>
        {p.value}
      </textarea>
      {p.error ? <small id={`${id}-error`}>{p.error}</small> : null}
      {p.hint ? <small id={`${id}-hint`}>{p.hint}</small> : null}
    </>
  );
}

export function Select(p: { name: string; label: string; value?: string; error?: string; hint?: string; options: readonly (readonly [string, string])[] }): JSX.Element {
  const id = `f-${p.name}`;
  const described = p.error ? `${id}-error` : p.hint ? `${id}-hint` : undefined;
  return (
    <>
      <label for={id}>{p.label}</label>
      <select id={id} name={p.name} aria-invalid={p.error ? "true" : undefined} aria-describedby={described}>
        {p.options.map(([value, text]) => (
          <option value={value} selected={value === p.value}>
            {text}
          </option>
        ))}
      </select>
      {p.error ? <small id={`${id}-error`}>{p.error}</small> : p.hint ? <small id={`${id}-hint`}>{p.hint}</small> : null}
    </>
  );
}

/** Announces that the form has errors, or a message (e.g. wrong password), to screen readers as it appears. */
export function FormAlert(p: { errors?: FieldErrors; message?: string; summary: string }): JSX.Element | null {
  const hasFieldErrors = Object.values(p.errors ?? {}).some(Boolean);
  if (!p.message && !hasFieldErrors) return null;
  return (
    <p role="alert" class="kb-alert">
      {p.message ?? p.summary}
    </p>
  );
}

export function Notice(p: { children: Child }): JSX.Element {
  return (
    <p role="status" class="kb-notice">
      {p.children}
    </p>
  );
}

/** A one-button form: POSTs to `action`, the way every state change is made. */
export function ActionButton(p: { action: string; label: string; variant?: "secondary" | "contrast"; hidden?: Record<string, string> }): JSX.Element {
  return (
    <form method="post" action={p.action} class="kb-inline">
      {Object.entries(p.hidden ?? {}).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <button type="submit" class={p.variant ?? ""}>
        {p.label}
      </button>
    </form>
  );
}

// Some 440 zones: their options are rendered once per language, and each page only marks its choice (the slot page's
// biggest cost was rebuilding them on every request). Named by city in the reader's language, in its alphabetical order.
const zoneOptions = new Map<Locale, string>();

function zoneOptionsFor(locale: Locale): string {
  let options = zoneOptions.get(locale);
  if (options === undefined) {
    const collator = new Intl.Collator(locale);
    options = [...new Set([...Intl.supportedValuesOf("timeZone"), "UTC"])]
      .map((z) => [z, zoneName(z, locale)] as const)
      .sort((a, b) => collator.compare(a[1], b[1]) || collator.compare(a[0], b[0]))
      .map(([z, name]) => `<option value="${escapeHtml(z)}">${escapeHtml(name)}</option>`)
      .join("");
    zoneOptions.set(locale, options);
  }
  return options;
}

export function TimeZoneSelect(p: { name: string; label: string; value: string; locale: Locale; error?: string }): JSX.Element {
  const id = `f-${p.name}`;
  const value = escapeHtml(p.value);
  const options = zoneOptionsFor(p.locale).replace(`<option value="${value}">`, `<option value="${value}" selected="">`);
  return (
    <>
      <label for={id}>{p.label}</label>
      <select id={id} name={p.name} aria-invalid={p.error ? "true" : undefined} aria-describedby={p.error ? `${id}-error` : undefined}>
        {raw(options)}
      </select>
      {p.error ? <small id={`${id}-error`}>{p.error}</small> : null}
    </>
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
