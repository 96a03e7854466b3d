import type { FieldMetadata } from "@conform-to/react";
import { useEffect, useRef, type InputHTMLAttributes, type ReactNode } from "react";

type TextFieldProps = {
  meta: FieldMetadata<string | undefined> | FieldMetadata<string>;
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
