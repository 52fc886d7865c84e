// Form fields the shared form pieces lack: a day with a time (datetime-local), and a long list of lines.

export function DateTimeField(p: { name: string; label: string; value: string; error?: string; hint?: string; idPrefix?: string }): JSX.Element {
  const id = `f-${p.idPrefix ?? ""}${p.name}`;
  const describedBy = [p.error ? `${id}-error` : null, p.hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;
  return (
    <>
      <label for={id}>{p.label}</label>
      <input id={id} name={p.name} type="datetime-local" value={p.value} aria-invalid={p.error ? "true" : undefined} aria-describedby={describedBy} />
      {p.error ? <small id={`${id}-error`}>{p.error}</small> : null}
      {p.hint ? <small id={`${id}-hint`}>{p.hint}</small> : null}
    </>
  );
}

export function LinesField(p: { name: string; label: string; value: string; error?: string; hint?: string; rows?: number }): JSX.Element {
  const id = `f-${p.name}`;
  const describedBy = [p.error ? `${id}-error` : null, p.hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;
  return (
    <>
      <label for={id}>{p.label}</label>
      <textarea id={id} name={p.name} rows={p.rows ?? 4} autocomplete="off" spellcheck={false} aria-invalid={p.error ? "true" : undefined} aria-describedby={describedBy}>
        {p.value}
      </textarea>
      {p.error ? <small id={`${id}-error`}>{p.error}</small> : null}
      {p.hint ? <small id={`${id}-hint`}>{p.hint}</small> : null}
    </>
  );
}
