import {
  getFormProps,
  useForm,
  type FieldMetadata,
  type FormMetadata,
  type SubmissionResult,
} from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, useNavigation } from "@remix-run/react";
import type { ReactNode } from "react";
import {
  CheckboxField,
  ErrorSummary,
  SelectField,
  TextArea,
  TextField,
  summariseErrors,
} from "~/components/ui/form";
import {
  END_OF_LADDER,
  MAX_CONDITIONS,
  MAX_DUE_AFTER_DAYS,
  MAX_QUESTIONS,
  MAX_RULES,
  QUESTION_TYPES,
  TaskFormSchema,
  questionKeys,
  type QuestionType,
  type TaskFormInput,
} from "~/schemas/task.ts";

export type LadderTaskOption = { id: string; title: string; archived: boolean };

const TYPE_WORDS: Record<QuestionType, { add: string; name: string }> = {
  number: { add: "Add a number question", name: "a number" },
  choice: { add: "Add a choice question", name: "a choice of answers" },
  yesno: { add: "Add a yes/no question", name: "yes or no" },
  text: { add: "Add a text question", name: "written answer" },
};

const OP_OPTIONS = [
  { value: "gte", label: "is at least" },
  { value: "gt", label: "is more than" },
  { value: "lte", label: "is at most" },
  { value: "lt", label: "is less than" },
  { value: "eq", label: "is" },
  { value: "neq", label: "is not" },
] as const;

type Form = FormMetadata<TaskFormInput, string[]>;

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function isQuestionType(value: string): value is QuestionType {
  return (QUESTION_TYPES as readonly string[]).includes(value);
}

function ErrorFor({ meta }: { meta: { id: string; errors?: string[] } }) {
  const message = meta.errors?.[0];
  if (!message) return null;
  return (
    <p className="field-error" id={meta.id}>
      {message}
    </p>
  );
}

/** Small buttons that move or remove an item; each says which item in its accessible name. */
function ItemButtons({ children }: { children: ReactNode }) {
  return <div className="item-actions">{children}</div>;
}

function ListButton({
  props,
  children,
  what,
}: {
  props: { name: string; value: string; form: string; formNoValidate: boolean };
  children: ReactNode;
  what: string;
}) {
  return (
    <button type="submit" {...props} className="button button--secondary button--small">
      {children}
      <span className="visually-hidden"> {what}</span>
    </button>
  );
}

function QuestionEditor({
  form,
  list,
  meta,
  index,
  count,
  answerKey,
  metricLabel,
}: {
  form: Form;
  list: FieldMetadata<TaskFormInput["questions"]>;
  meta: FieldMetadata<NonNullable<TaskFormInput["questions"]>[number]>;
  index: number;
  count: number;
  answerKey: string;
  metricLabel: string;
}) {
  const fields = meta.getFieldset();
  const rawType = text(fields.type.value ?? fields.type.initialValue);
  const type: QuestionType = isQuestionType(rawType) ? rawType : "text";
  const savedKey = text(fields.key.initialValue);
  const what = `question ${index + 1}`;
  return (
    <li className="card editor-item">
      <fieldset>
        <legend className="editor-item__title">
          Question {index + 1}: {TYPE_WORDS[type].name}
        </legend>
        <input type="hidden" name={fields.type.name} value={type} />
        {savedKey ? <input type="hidden" name={fields.key.name} value={savedKey} /> : null}
        <TextField
          meta={fields.label}
          label="Question"
          hint={
            type === "number"
              ? "For example, How many doors did you knock on?"
              : type === "yesno"
                ? "For example, Would you lead a small team next time?"
                : type === "choice"
                  ? "For example, How did it go?"
                  : "For example, What did people tell you?"
          }
        />
        <TextField meta={fields.hint} label="Hint (optional)" hint="Shown under the question." />
        <CheckboxField meta={fields.required} label="An answer is required" />
        {type === "number" ? (
          <>
            <div className="field-row">
              <TextField
                meta={fields.min}
                label="Smallest answer (optional)"
                inputMode="decimal"
                className="input--number"
              />
              <TextField
                meta={fields.max}
                label="Largest answer (optional)"
                inputMode="decimal"
                className="input--number"
              />
            </div>
            <TextField meta={fields.unit} label="Unit (optional)" hint="For example, doors" />
            <CheckboxField
              meta={fields.countsToObjective}
              label={`Counts toward the objective (${metricLabel})`}
            />
          </>
        ) : null}
        {type === "choice" ? (
          <TextArea
            meta={fields.options}
            label="Options"
            hint="One per line, from 2 to 12."
            rows={4}
          />
        ) : null}
        <p className="hint">
          Rules and reports call this answer <code>{answerKey}</code>.
        </p>
        <ItemButtons>
          {index > 0 ? (
            <ListButton
              props={form.reorder.getButtonProps({ name: list.name, from: index, to: index - 1 })}
              what={what}
            >
              Move up
            </ListButton>
          ) : null}
          {index < count - 1 ? (
            <ListButton
              props={form.reorder.getButtonProps({ name: list.name, from: index, to: index + 1 })}
              what={what}
            >
              Move down
            </ListButton>
          ) : null}
          <ListButton props={form.remove.getButtonProps({ name: list.name, index })} what={what}>
            Remove
          </ListButton>
        </ItemButtons>
      </fieldset>
    </li>
  );
}

function RuleEditor({
  form,
  list,
  meta,
  index,
  count,
  questionOptions,
  nextOptions,
}: {
  form: Form;
  list: FieldMetadata<TaskFormInput["rules"]>;
  meta: FieldMetadata<NonNullable<TaskFormInput["rules"]>[number]>;
  index: number;
  count: number;
  questionOptions: Array<{ value: string; label: string }>;
  nextOptions: Array<{ value: string; label: string }>;
}) {
  const fields = meta.getFieldset();
  const conditions = fields.conditions.getFieldList();
  const what = `rule ${index + 1}`;
  return (
    <li className="card editor-item">
      <fieldset>
        <legend className="editor-item__title">Rule {index + 1}</legend>
        <ErrorFor meta={fields.conditions} />
        <ol className="conditions">
          {conditions.map((condition, conditionIndex) => {
            const parts = condition.getFieldset();
            return (
              <li key={condition.key ?? conditionIndex} className="condition">
                <fieldset>
                  <legend className="condition__title">
                    {conditionIndex === 0 ? "If" : "and"}
                  </legend>
                  <SelectField
                    meta={parts.field}
                    label="Question"
                    placeholder="Choose a question"
                    options={questionOptions}
                  />
                  <SelectField meta={parts.op} label="Comparison" options={OP_OPTIONS} />
                  <TextField
                    meta={parts.value}
                    label="Answer"
                    hint="A number, yes or no, or one of the options"
                  />
                  {conditions.length > 1 ? (
                    <ItemButtons>
                      <ListButton
                        props={form.remove.getButtonProps({
                          name: fields.conditions.name,
                          index: conditionIndex,
                        })}
                        what={`condition ${conditionIndex + 1} of rule ${index + 1}`}
                      >
                        Remove condition
                      </ListButton>
                    </ItemButtons>
                  ) : null}
                </fieldset>
              </li>
            );
          })}
        </ol>
        {conditions.length < MAX_CONDITIONS ? (
          <ItemButtons>
            <ListButton
              props={form.insert.getButtonProps({
                name: fields.conditions.name,
                defaultValue: { op: "eq" },
              })}
              what={`to rule ${index + 1}`}
            >
              Add a condition
            </ListButton>
          </ItemButtons>
        ) : null}
        <SelectField meta={fields.next} label="Then give" options={nextOptions} />
        <ItemButtons>
          {index > 0 ? (
            <ListButton
              props={form.reorder.getButtonProps({ name: list.name, from: index, to: index - 1 })}
              what={what}
            >
              Move up
            </ListButton>
          ) : null}
          {index < count - 1 ? (
            <ListButton
              props={form.reorder.getButtonProps({ name: list.name, from: index, to: index + 1 })}
              what={what}
            >
              Move down
            </ListButton>
          ) : null}
          <ListButton props={form.remove.getButtonProps({ name: list.name, index })} what={what}>
            Remove
          </ListButton>
        </ItemButtons>
      </fieldset>
    </li>
  );
}

/**
 * The task editor: details, the report form's questions and the follow-up rules. Adding,
 * removing and moving questions, rules and conditions are conform intent buttons, so without
 * JavaScript each is a round trip to the server that keeps everything typed so far.
 */
export function TaskEditor({
  lastResult,
  defaultValue,
  tasks,
  taskId,
  isFirst,
  metricLabel,
  submitLabel,
}: {
  lastResult: SubmissionResult<string[]> | null | undefined;
  defaultValue: Partial<TaskFormInput>;
  /** Every task of the campaign, deleted ones too. */
  tasks: LadderTaskOption[];
  /** Absent while creating. */
  taskId?: string;
  isFirst: boolean;
  metricLabel: string;
  submitLabel: string;
}) {
  const navigation = useNavigation();
  const [form, fields] = useForm<TaskFormInput>({
    id: "task",
    lastResult,
    defaultValue,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: TaskFormSchema }),
    shouldValidate: "onSubmit",
    shouldRevalidate: "onBlur",
  });

  const questions = fields.questions.getFieldList();
  const rules = fields.rules.getFieldList();
  const typed = questions.map((question) => {
    const parts = question.getFieldset();
    return {
      key: text(parts.key.initialValue) || undefined,
      label: text(parts.label.value ?? parts.label.initialValue),
    };
  });
  const keys = questionKeys(typed);
  const questionOptions = typed.flatMap((question, index) =>
    question.label.trim()
      ? [{ value: keys[index] ?? "", label: `${index + 1}. ${question.label.trim()}` }]
      : [],
  );

  // A deleted task stays listed only where the form already points at it, so it reads true.
  const pointedAt = new Set<string>([
    text(fields.defaultNext.value ?? fields.defaultNext.initialValue),
    text(fields.onSkip.value ?? fields.onSkip.initialValue),
    ...rules.map((rule) => {
      const next = rule.getFieldset().next;
      return text(next.value ?? next.initialValue);
    }),
  ]);
  const nextOptions = [
    ...tasks
      .filter((task) => !task.archived || pointedAt.has(task.id))
      .map((task) => ({
        value: task.id,
        label:
          task.id === taskId
            ? `${task.title} (this task again)`
            : task.archived
              ? `${task.title} (deleted)`
              : task.title,
      })),
    { value: END_OF_LADDER, label: "End of the ladder" },
  ];

  return (
    <>
      <ErrorSummary errors={summariseErrors(form.id, form.allErrors)} />
      <Form method="post" {...getFormProps(form)} className="task-editor">
        {/* Enter in a text box submits with the first submit button: make that "Save". */}
        <button type="submit" className="visually-hidden" tabIndex={-1} aria-hidden="true">
          {submitLabel}
        </button>
        <TextField
          meta={fields.title}
          label="Title"
          hint="Say what to do, like Knock on 20 doors"
        />
        <TextArea
          meta={fields.instructions}
          label="Instructions"
          rows={8}
          hint={
            <>
              Step by step, in plain words. You can use Markdown: <code>*italic*</code>,{" "}
              <code>**bold**</code>, lists starting with <code>-</code>, and links.
            </>
          }
        />
        <TextField
          meta={fields.location}
          label="Where (optional)"
          hint="For example, Any street near where you live"
        />
        <TextField
          meta={fields.durationMinutes}
          label="How long it takes, in minutes (optional)"
          inputMode="numeric"
          className="input--number"
        />
        <TextField
          meta={fields.dueAfterDays}
          label="Due how many days after it is given?"
          hint={`From 1 to ${MAX_DUE_AFTER_DAYS}`}
          inputMode="numeric"
          className="input--number"
        />

        <fieldset className="group">
          <legend>Report form</legend>
          <p className="hint">The questions people answer when they report back on this task.</p>
          <ErrorFor meta={fields.questions} />
          {questions.length === 0 ? <p>No questions yet.</p> : null}
          <ol className="editor-list">
            {questions.map((question, index) => (
              <QuestionEditor
                key={question.key ?? index}
                form={form}
                list={fields.questions}
                meta={question}
                index={index}
                count={questions.length}
                answerKey={keys[index] ?? ""}
                metricLabel={metricLabel}
              />
            ))}
          </ol>
          {questions.length < MAX_QUESTIONS ? (
            <div className="actions actions--add">
              {QUESTION_TYPES.map((type) => (
                <button
                  key={type}
                  type="submit"
                  {...form.insert.getButtonProps({
                    name: fields.questions.name,
                    defaultValue: { type, required: true },
                  })}
                  className="button button--secondary"
                >
                  {TYPE_WORDS[type].add}
                </button>
              ))}
            </div>
          ) : null}
        </fieldset>

        <fieldset className="group">
          <legend>What happens next</legend>
          <p className="hint">
            Rules are checked in order. The first one whose conditions all hold picks the next task.
            Add questions first, then add rules that use them.
          </p>
          <ErrorFor meta={fields.rules} />
          <ol className="editor-list">
            {rules.map((rule, index) => (
              <RuleEditor
                key={rule.key ?? index}
                form={form}
                list={fields.rules}
                meta={rule}
                index={index}
                count={rules.length}
                questionOptions={questionOptions}
                nextOptions={nextOptions}
              />
            ))}
          </ol>
          {rules.length < MAX_RULES ? (
            <div className="actions actions--add">
              <button
                type="submit"
                {...form.insert.getButtonProps({
                  name: fields.rules.name,
                  defaultValue: { conditions: [{ op: "eq" }], next: END_OF_LADDER },
                })}
                className="button button--secondary"
              >
                Add a follow-up rule
              </button>
            </div>
          ) : null}
          <SelectField
            meta={fields.defaultNext}
            label={rules.length > 0 ? "When no rule matches, give" : "Next, give"}
            options={nextOptions}
          />
          <SelectField
            meta={fields.onSkip}
            label="If someone can't do this task, give"
            options={nextOptions}
          />
          <TextArea
            meta={fields.endMessage}
            label="Thank-you message at the end of the ladder (optional)"
            hint="Shown when this task leads to the end. Leave it blank for our standard thanks."
            rows={3}
          />
        </fieldset>

        {isFirst ? (
          <p className="notice">This is the first task: everyone who joins is given it.</p>
        ) : (
          <CheckboxField
            meta={fields.makeFirst}
            label="Make this the first task"
            hint="Everyone who joins is given the first task."
          />
        )}
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          {submitLabel}
        </button>
      </Form>
    </>
  );
}
