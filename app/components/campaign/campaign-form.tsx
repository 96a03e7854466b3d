import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import { Form, useNavigation } from "@remix-run/react";
import type { z } from "zod";
import { ErrorSummary, TextArea, TextField, summariseErrors } from "~/components/ui/form";
import type { CampaignFormSchema } from "~/schemas/campaign.ts";

type CampaignFormInput = z.input<typeof CampaignFormSchema>;

/** The campaign's details, ground rules and dates: the same form for a new campaign and an edit. */
export function CampaignForm({
  lastResult,
  defaultValue,
  submitLabel,
  hiddenFields,
  metricKeyNote,
}: {
  lastResult: SubmissionResult<string[]> | undefined;
  defaultValue?: Partial<CampaignFormInput>;
  submitLabel: string;
  hiddenFields?: Record<string, string>;
  /** Shown under the metric label when the key is fixed (editing). */
  metricKeyNote?: string;
}) {
  const navigation = useNavigation();
  const [form, fields] = useForm<CampaignFormInput>({
    id: "campaign",
    lastResult,
    defaultValue,
  });
  return (
    <>
      <ErrorSummary errors={summariseErrors(form.id, form.allErrors)} />
      <Form method="post" {...getFormProps(form)}>
        {Object.entries(hiddenFields ?? {}).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <TextField
          meta={fields.title}
          label="Title"
          hint="For example, Warmer Homes for Greenfield"
        />
        <TextArea
          meta={fields.description}
          label="Short description"
          hint="One or two sentences. People see it on the join page and the poster."
          rows={2}
        />
        <fieldset className="group">
          <legend>Objective</legend>
          <p className="hint">What every report adds up to, and the number you are aiming for.</p>
          <TextField
            meta={fields.metricLabel}
            label="What you will count"
            hint={metricKeyNote ?? "For example, doors knocked"}
          />
          <TextField meta={fields.metricUnit} label="Unit" hint="For example, doors" />
          <TextField
            meta={fields.target}
            label="Target"
            hint="A whole number, like 5000"
            inputMode="numeric"
            className="input--number"
          />
        </fieldset>
        <fieldset className="group">
          <legend>Ground rules</legend>
          <p className="hint">People read these before they sign up, and on every task.</p>
          <TextArea meta={fields.whyTakePart} label="Why take part" />
          <TextArea meta={fields.whatWeDo} label="What we will do with people's reports" />
          <TextArea
            meta={fields.whatIsOpen}
            label="What is open for debate, and what isn't"
            hint="Be honest about the limits: what people can change, and what is already decided."
          />
        </fieldset>
        <fieldset className="group">
          <legend>Dates (optional)</legend>
          <TextField
            meta={fields.startsOn}
            label="Starts on (optional)"
            type="date"
            className="input--date"
          />
          <TextField
            meta={fields.endsOn}
            label="Ends on (optional)"
            type="date"
            className="input--date"
          />
        </fieldset>
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          {submitLabel}
        </button>
      </Form>
    </>
  );
}
