/** A job kind's config as a form, built from its JSON Schema: every field, its range and its help. */
import { useEffect, useMemo, useState } from "react";
import { formatEntry, getAt, parseEntry, rangeText, sectionsOf, type Field, type JsonSchema } from "./schema";

export interface SchemaFormProps {
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (path: string, value: unknown) => void;
  /** Server-side problems by config path ("optimizer.lr"). */
  errors?: Record<string, string>;
}

/** A text box keeps what is typed until it reads as a value; the config only gets valid values. */
function TextEntry({ field, value, onChange }: { field: Field; value: unknown; onChange: (v: unknown) => void }) {
  const [text, setText] = useState(formatEntry(value));
  const [bad, setBad] = useState(false);
  useEffect(() => {
    // A change of the value from elsewhere (defaults, a clone) replaces what was typed.
    if (JSON.stringify(parseEntry(field, text) ?? null) !== JSON.stringify(value ?? null)) {
      setText(formatEntry(value));
      setBad(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  const numeric = field.kind === "number" || field.kind === "integer";
  return (
    <input
      type="text" inputMode={numeric ? "decimal" : undefined} aria-label={field.label} aria-invalid={bad}
      name={field.path} data-testid={`cfg-${field.path}`} value={text}
      placeholder={field.nullable ? "empty = off" : undefined}
      className={bad ? "invalid" : undefined}
      onChange={(e) => {
        setText(e.target.value);
        const parsed = parseEntry(field, e.target.value);
        setBad(parsed === undefined);
        if (parsed !== undefined) onChange(parsed);
      }}
    />
  );
}

function Entry({ field, value, onChange }: { field: Field; value: unknown; onChange: (v: unknown) => void }) {
  if (field.kind === "boolean") {
    return <input type="checkbox" aria-label={field.label} data-testid={`cfg-${field.path}`} checked={Boolean(value)} onChange={(e) => onChange(e.target.checked)} />;
  }
  if (field.kind === "choice") {
    return (
      <select aria-label={field.label} name={field.path} data-testid={`cfg-${field.path}`} value={value === null || value === undefined ? "" : String(value)}
        onChange={(e) => onChange(e.target.value === "" ? null : e.target.value)}>
        {field.nullable && <option value="">—</option>}
        {field.choices!.map((c) => <option key={c} value={c}>{c}</option>)}
      </select>
    );
  }
  return <TextEntry field={field} value={value} onChange={onChange} />;
}

function FieldRow({ field, value, onChange, error }: { field: Field; value: unknown; onChange: (v: unknown) => void; error?: string }) {
  const range = rangeText(field);
  return (
    <label className={`field ${field.kind === "boolean" ? "field-check" : ""}`} title={field.help}>
      <span className="field-label">{field.label}{range && <span className="field-help">{range}</span>}</span>
      <Entry field={field} value={value} onChange={onChange} />
      {error && <span className="field-error" role="alert">{error}</span>}
    </label>
  );
}

export function SchemaForm({ schema, value, onChange, errors = {} }: SchemaFormProps) {
  const sections = useMemo(() => sectionsOf(schema), [schema]);
  return (
    <div className="schema-form" data-testid="schema-form">
      {sections.map((section) => {
        const rows = (
          <div className="grid-2">
            {section.fields.map((f) => (
              <FieldRow key={f.path} field={f} value={getAt(value, f.path)} error={errors[f.path]} onChange={(v) => onChange(f.path, v)} />
            ))}
          </div>
        );
        if (!section.path) return <div key="top">{rows}</div>;
        const open = section.fields.some((f) => errors[f.path]) || section.path === "optimizer";
        return (
          <details key={section.path} className="form-section" open={open || undefined}>
            <summary>{section.title}</summary>
            {rows}
          </details>
        );
      })}
    </div>
  );
}
