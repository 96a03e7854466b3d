import type { ReactNode } from "react";
import type { ReportField } from "~/schemas/task.ts";
import { formatDecimal } from "~/utils/format";

export type ReportFieldsProps = {
  fields: ReportField[];
  /** What was typed last time (the form's values as strings), keyed by field key. */
  values?: Record<string, string>;
  /** Messages keyed by field key; the first is shown. */
  errors?: Record<string, string[] | undefined>;
  disabled?: boolean;
};

/** The id of a field's input (the first radio for choices): error summaries link here. */
export function reportFieldId(key: string) {
  return `field-${key}`;
}

/**
 * A field's message as the error summary lists it, away from its question: "How did it go? Choose
 * one of the options". A message that already names its question is kept as it is.
 */
export function summaryMessage(label: string, message: string) {
  const question = label.trim();
  if (question === "" || message.includes(question)) return message;
  return /[?!.:]$/.test(question) ? `${question} ${message}` : `${question}: ${message}`;
}

function rangeWords(min: number | undefined, max: number | undefined) {
  if (min !== undefined && max !== undefined)
    return `from ${formatDecimal(min)} to ${formatDecimal(max)}`;
  if (min !== undefined) return `${formatDecimal(min)} or more`;
  if (max !== undefined) return `${formatDecimal(max)} or less`;
  return null;
}

/** "In doors, from 0 to 500." */
function numberHint(field: Extract<ReportField, { type: "number" }>) {
  const range = rangeWords(field.min, field.max);
  if (field.unit && range) return `In ${field.unit}, ${range}.`;
  if (field.unit) return `In ${field.unit}.`;
  if (range) return `${range.charAt(0).toUpperCase()}${range.slice(1)}.`;
  return null;
}

/** " (optional)" after a question's label, in the same style on every question. */
export function Optional({ required }: { required: boolean }) {
  return required ? null : <span className="optional"> (optional)</span>;
}

type Described = { hintId?: string; errorId?: string; describedBy?: string };

function describe(id: string, hint: ReactNode, error: string | undefined): Described {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return {
    hintId,
    errorId,
    describedBy: [hintId, errorId].filter(Boolean).join(" ") || undefined,
  };
}

function HintAndError({ ids, hint, error }: { ids: Described; hint: ReactNode; error?: string }) {
  return (
    <>
      {hint ? (
        <span className="hint" id={ids.hintId}>
          {hint}
        </span>
      ) : null}
      {error ? (
        <span className="field-error" id={ids.errorId}>
          {error}
        </span>
      ) : null}
    </>
  );
}

function RadioGroup({
  field,
  options,
  value,
  error,
  disabled,
  inline,
}: {
  field: ReportField;
  options: Array<{ value: string; label: string }>;
  value: string | undefined;
  error: string | undefined;
  disabled: boolean;
  inline?: boolean;
}) {
  const id = reportFieldId(field.key);
  const ids = describe(id, field.hint, error);
  const chosen = value?.trim().toLowerCase();
  return (
    <div className="field">
      <fieldset aria-describedby={ids.describedBy}>
        <legend>
          {field.label}
          <Optional required={field.required} />
        </legend>
        <HintAndError ids={ids} hint={field.hint} error={error} />
        <div className={inline ? "radios radios--inline" : "radios"}>
          {options.map((option, index) => {
            const optionId = index === 0 ? id : `${id}-${index + 1}`;
            return (
              <div className="choice" key={option.value}>
                <input
                  type="radio"
                  id={optionId}
                  name={field.key}
                  value={option.value}
                  defaultChecked={chosen !== undefined && chosen === option.value.toLowerCase()}
                  disabled={disabled}
                />
                <label htmlFor={optionId}>{option.label}</label>
              </div>
            );
          })}
        </div>
      </fieldset>
    </div>
  );
}

function ReportFieldInput({
  field,
  value,
  error,
  disabled,
}: {
  field: ReportField;
  value: string | undefined;
  error: string | undefined;
  disabled: boolean;
}) {
  const id = reportFieldId(field.key);
  switch (field.type) {
    case "number": {
      const extra = numberHint(field);
      const hint = field.hint || extra ? [field.hint, extra].filter(Boolean).join(" ") : undefined;
      const ids = describe(id, hint, error);
      return (
        <div className="field">
          <label htmlFor={id}>
            {field.label}
            <Optional required={field.required} />
          </label>
          <HintAndError ids={ids} hint={hint} error={error} />
          <input
            id={id}
            name={field.key}
            type="number"
            inputMode="numeric"
            className="input--number"
            min={field.min}
            max={field.max}
            defaultValue={value ?? ""}
            disabled={disabled}
            aria-invalid={error ? true : undefined}
            aria-describedby={ids.describedBy}
          />
        </div>
      );
    }
    case "choice":
      return (
        <RadioGroup
          field={field}
          options={field.options.map((option) => ({ value: option, label: option }))}
          value={value}
          error={error}
          disabled={disabled}
        />
      );
    case "yesno":
      return (
        <RadioGroup
          field={field}
          options={[
            { value: "yes", label: "Yes" },
            { value: "no", label: "No" },
          ]}
          value={value}
          error={error}
          disabled={disabled}
          inline
        />
      );
    case "text": {
      const ids = describe(id, field.hint, error);
      return (
        <div className="field">
          <label htmlFor={id}>
            {field.label}
            <Optional required={field.required} />
          </label>
          <HintAndError ids={ids} hint={field.hint} error={error} />
          <textarea
            id={id}
            name={field.key}
            rows={4}
            defaultValue={value ?? ""}
            disabled={disabled}
            aria-invalid={error ? true : undefined}
            aria-describedby={ids.describedBy}
          />
        </div>
      );
    }
  }
}

/**
 * The questions of a task's report form, as volunteers see them. Each input is named with its
 * field's key and has the id `field-<key>`; works without JavaScript.
 */
export function ReportFields({
  fields,
  values = {},
  errors = {},
  disabled = false,
}: ReportFieldsProps) {
  return (
    <>
      {fields.map((field) => (
        <ReportFieldInput
          key={field.key}
          field={field}
          value={values[field.key]}
          error={errors[field.key]?.[0]}
          disabled={disabled}
        />
      ))}
    </>
  );
}
