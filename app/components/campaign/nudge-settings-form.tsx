import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import { Form, useNavigation } from "@remix-run/react";
import { ErrorSummary, TextField, summariseErrors } from "~/components/ui/form";
import type { NudgeSettings } from "~/schemas/nudges.ts";

export const NUDGE_SETTINGS_INTENT = "reminders";

/** When a campaign's reminders, follow-ups and "we miss you" messages go. */
export function NudgeSettingsForm({
  lastResult,
  defaultValue,
}: {
  lastResult: SubmissionResult<string[]> | undefined;
  defaultValue: NudgeSettings;
}) {
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: "reminders",
    lastResult,
    defaultValue: {
      reminderHours: String(defaultValue.reminderHours),
      overdueHours: String(defaultValue.overdueHours),
      idleDays: String(defaultValue.idleDays),
      expireDays: String(defaultValue.expireDays),
    },
  });
  return (
    <>
      <ErrorSummary errors={summariseErrors(form.id, form.allErrors)} />
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="intent" value={NUDGE_SETTINGS_INTENT} />
        <fieldset className="group">
          <legend>Reminder times</legend>
          <p className="hint">
            Messages we send to keep people going. They always follow your organisation&rsquo;s
            quiet hours and weekly limit.
          </p>
          <TextField
            meta={fields.reminderHours}
            label="Reminder before the due date, in hours"
            hint="Hours before the due date to send a reminder. 0 means no reminder."
            inputMode="numeric"
            className="input--number"
          />
          <TextField
            meta={fields.overdueHours}
            label="“How did it go?” after the due date, in hours"
            hint="Hours after the due date to ask how it went, if they haven't reported. 0 means we don't ask."
            inputMode="numeric"
            className="input--number"
          />
          <TextField
            meta={fields.idleDays}
            label="“We miss you” after this many days"
            hint="Days without a task or a report before we send a “we miss you”. From 1 to 365."
            inputMode="numeric"
            className="input--number"
          />
          <TextField
            meta={fields.expireDays}
            label="Close an unreported task after this many days past its due date"
            hint="The task closes as “expired” and the person is free for a new one. From 1 to 365."
            inputMode="numeric"
            className="input--number"
          />
        </fieldset>
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          Save reminders
        </button>
      </Form>
    </>
  );
}
