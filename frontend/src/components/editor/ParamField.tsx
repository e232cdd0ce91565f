/** One parameter of the inspector, its widget chosen by the registry's param type. */
import { useEffect, useState, type ReactNode } from "react";
import type { ParamSpec } from "../../api/types";
import { parseParam } from "../../lib/params";
import { paramText } from "../../lib/format";

interface Props {
  spec: ParamSpec;
  value: unknown;
  inferredValue: unknown;
  onChange: (value: unknown) => void;
  /** Shown beside the name: the editor's "tune" button (adds the param to a sweep's search). */
  tune?: ReactNode;
}

function ParamLabel({ spec, tune }: { spec: ParamSpec; tune?: ReactNode }) {
  return (
    <span className="field-label" title={spec.help ?? undefined}>
      {spec.name}
      {tune}
      {spec.help && <span className="field-help">{spec.help}</span>}
    </span>
  );
}

/** Typed text (numbers, lists, `=expressions`), checked when the field is left or on Enter. */
function TextField({ spec, value, onChange, tune }: Omit<Props, "inferredValue">) {
  const [text, setText] = useState(paramText(value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText(paramText(value));
    setError(null);
  }, [value]);
  const commit = () => {
    const parsed = parseParam(spec, text);
    if (!parsed.ok) {
      setError(parsed.message);
      return;
    }
    setError(null);
    if (JSON.stringify(parsed.value) !== JSON.stringify(value)) onChange(parsed.value);
  };
  return (
    <label className="field" data-testid={`param-${spec.name}`}>
      <ParamLabel spec={spec} tune={tune} />
      <input
        name={spec.name}
        value={text}
        placeholder={spec.default === undefined || spec.default === null ? "required" : `default ${paramText(spec.default)}`}
        className={error ? "invalid" : undefined}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === "Enter" && commit()}
      />
      {error && <span className="field-error">{error}</span>}
    </label>
  );
}

export function ParamField({ spec, value, inferredValue, onChange, tune }: Props) {
  if (spec.inferred) {
    return (
      <div className="field field-inferred" data-testid={`param-${spec.name}`}>
        <ParamLabel spec={spec} />
        <div className="inferred-value" title="Inferred from the input shape">
          {inferredValue === undefined ? "inferred from the input" : paramText(inferredValue)} <span className="tag">inferred</span>
        </div>
      </div>
    );
  }
  if (spec.type === "bool") {
    const checked = value === undefined ? Boolean(spec.default) : Boolean(value);
    return (
      <label className="field field-check" data-testid={`param-${spec.name}`}>
        <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
        <ParamLabel spec={spec} />
      </label>
    );
  }
  if (spec.type === "choice" && spec.choices?.length) {
    return (
      <label className="field" data-testid={`param-${spec.name}`}>
        <ParamLabel spec={spec} tune={tune} />
        <select value={paramText(value ?? spec.default)} onChange={(e) => onChange(spec.choices!.find((c) => String(c) === e.target.value))}>
          {spec.choices.map((c) => <option key={String(c)} value={String(c)}>{String(c)}</option>)}
        </select>
      </label>
    );
  }
  return <TextField spec={spec} value={value} onChange={onChange} tune={tune} />;
}
