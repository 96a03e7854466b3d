/**
 * A filter's drop-down in a GET form: a label, "every …" as the empty choice, then the options.
 * Its value travels in the address, so it works without JavaScript and survives a reload.
 */
export function FilterSelect({
  id,
  name,
  label,
  anyLabel,
  defaultValue,
  options,
}: {
  id: string;
  name: string;
  label: string;
  /** The empty choice: "Every area", "Anyone". */
  anyLabel: string;
  defaultValue: string | null | undefined;
  options: ReadonlyArray<{ value: string; label: string }>;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} defaultValue={defaultValue ?? ""}>
        <option value="">{anyLabel}</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Tasks as options: their titles, in ladder order. */
export function taskOptions(tasks: ReadonlyArray<{ id: string; title: string }>) {
  return tasks.map((task) => ({ value: task.id, label: task.title }));
}

/** Areas (postcode districts) as options, as they read. */
export function areaOptions(areas: readonly string[]) {
  return areas.map((area) => ({ value: area, label: area }));
}
