import { useEffect, useRef, type InputHTMLAttributes, type ReactNode } from "react";

/** What a field needs from conform's field metadata. */
export type FieldMeta = {
  id: string;
  name: string;
  errorId: string;
  errors?: string[];
  initialValue?: unknown;
};

type TextFieldProps = {
  meta: FieldMeta;
  label: string;
  hint?: ReactNode;
  type?: InputHTMLAttributes<HTMLInputElement>["type"];
  autoComplete?: string;
  inputMode?: InputHTMLAttributes<HTMLInputElement>["inputMode"];
  className?: string;
  defaultValue?: string;
  required?: boolean;
};

/** A labelled input whose hint and error are tied to it for screen readers. */
export function TextField({
  meta,
  label,
  hint,
  type = "text",
  className,
  ...rest
}: TextFieldProps) {
  const hintId = hint ? `${meta.id}-hint` : undefined;
  const errorId = meta.errors?.length ? meta.errorId : undefined;
  return (
    <div className="field">
      <label htmlFor={meta.id}>{label}</label>
      {hint ? (
        <span className="hint" id={hintId}>
          {hint}
        </span>
      ) : null}
      {errorId ? (
        <span className="field-error" id={errorId}>
          {meta.errors?.[0]}
        </span>
      ) : null}
      <input
        id={meta.id}
        name={meta.name}
        type={type}
        className={className}
        defaultValue={
          rest.defaultValue ??
          (typeof meta.initialValue === "string" ? meta.initialValue : undefined)
        }
        aria-invalid={errorId ? true : undefined}
        aria-describedby={[hintId, errorId].filter(Boolean).join(" ") || undefined}
        autoComplete={rest.autoComplete}
        inputMode={rest.inputMode}
        required={rest.required}
      />
    </div>
  );
}

/**
 * Lists a form's errors at the top with links to each field, and takes focus so screen readers
 * announce it (with JavaScript); without JavaScript it is the first thing after the heading.
 */
export function ErrorSummary({ errors }: { errors: Array<{ id: string; message: string }> }) {
  const ref = useRef<HTMLDivElement>(null);
  const key = errors.map((e) => e.message).join("|");
  useEffect(() => {
    if (key) ref.current?.focus();
  }, [key]);
  if (errors.length === 0) return null;
  return (
    <div
      className="error-summary"
      role="alert"
      tabIndex={-1}
      ref={ref}
      aria-labelledby="error-summary-title"
    >
      <h2 id="error-summary-title">There is a problem</h2>
      <ul>
        {errors.map((error) => (
          <li key={error.id + error.message}>
            {error.id ? <a href={`#${error.id}`}>{error.message}</a> : error.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function described(meta: FieldMeta, hint: ReactNode) {
  const hintId = hint ? `${meta.id}-hint` : undefined;
  const errorId = meta.errors?.length ? meta.errorId : undefined;
  return {
    hintId,
    errorId,
    describedBy: [hintId, errorId].filter(Boolean).join(" ") || undefined,
  };
}

function HintAndError({
  meta,
  hint,
  ids,
}: {
  meta: FieldMeta;
  hint: ReactNode;
  ids: ReturnType<typeof described>;
}) {
  return (
    <>
      {hint ? (
        <span className="hint" id={ids.hintId}>
          {hint}
        </span>
      ) : null}
      {ids.errorId ? (
        <span className="field-error" id={ids.errorId}>
          {meta.errors?.[0]}
        </span>
      ) : null}
    </>
  );
}

/** A labelled textarea, with hint and error tied to it like TextField. */
export function TextArea({
  meta,
  label,
  hint,
  rows = 4,
  defaultValue,
}: {
  meta: FieldMeta;
  label: ReactNode;
  hint?: ReactNode;
  rows?: number;
  defaultValue?: string;
}) {
  const ids = described(meta, hint);
  return (
    <div className="field">
      <label htmlFor={meta.id}>{label}</label>
      <HintAndError meta={meta} hint={hint} ids={ids} />
      <textarea
        id={meta.id}
        name={meta.name}
        rows={rows}
        defaultValue={
          defaultValue ?? (typeof meta.initialValue === "string" ? meta.initialValue : undefined)
        }
        aria-invalid={ids.errorId ? true : undefined}
        aria-describedby={ids.describedBy}
      />
    </div>
  );
}

/** A labelled select. `value` makes it controlled (for selects whose options change). */
export function SelectField({
  meta,
  label,
  hint,
  options,
  placeholder,
  defaultValue,
  className,
}: {
  meta: FieldMeta;
  label: ReactNode;
  hint?: ReactNode;
  options: ReadonlyArray<{ value: string; label: string }>;
  /** A first, empty option such as "Choose a question". */
  placeholder?: string;
  defaultValue?: string;
  className?: string;
}) {
  const ids = described(meta, hint);
  const initial =
    defaultValue ?? (typeof meta.initialValue === "string" ? meta.initialValue : undefined);
  return (
    <div className={className ? `field ${className}` : "field"}>
      <label htmlFor={meta.id}>{label}</label>
      <HintAndError meta={meta} hint={hint} ids={ids} />
      <select
        id={meta.id}
        name={meta.name}
        defaultValue={initial ?? ""}
        aria-invalid={ids.errorId ? true : undefined}
        aria-describedby={ids.describedBy}
      >
        {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** One checkbox with its label beside it; sends "on" when ticked. */
export function CheckboxField({
  meta,
  label,
  hint,
  defaultChecked,
}: {
  meta: FieldMeta;
  label: ReactNode;
  hint?: ReactNode;
  defaultChecked?: boolean;
}) {
  const ids = described(meta, hint);
  const initial =
    defaultChecked ??
    (meta.initialValue === "on" || meta.initialValue === true || meta.initialValue === "true");
  return (
    <div className="field">
      <div className="choice">
        <input
          type="checkbox"
          id={meta.id}
          name={meta.name}
          defaultChecked={initial}
          aria-invalid={ids.errorId ? true : undefined}
          aria-describedby={ids.describedBy}
        />
        <label htmlFor={meta.id}>{label}</label>
      </div>
      <HintAndError meta={meta} hint={hint} ids={ids} />
    </div>
  );
}

/** A conform form's errors (from `form.allErrors`) for ErrorSummary, linking to each field. */
export function summariseErrors(formId: string, errors: Record<string, string[]> | undefined) {
  return Object.entries(errors ?? {}).flatMap(([name, messages]) =>
    messages.map((message) => ({ id: name ? `${formId}-${name}` : "", message })),
  );
}
