export type GroundRules = { whyTakePart: string; whatWeDo: string; whatIsOpen: string };

export type TaskDetailsProps = {
  title: string;
  /** From renderMarkdown (app/utils/markdown.server.ts): already safe to insert. */
  instructionsHtml: string;
  location: string | null;
  durationMinutes: number | null;
  /** "Due by Monday 3 March", or null when there is no deadline to show. */
  dueText: string | null;
  groundRules: GroundRules;
};

/** "About 1 hour 30 minutes" */
export function durationWords(minutes: number) {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours} ${hours === 1 ? "hour" : "hours"}`);
  if (rest > 0 || hours === 0) parts.push(`${rest} ${rest === 1 ? "minute" : "minutes"}`);
  return `About ${parts.join(" ")}`;
}

/**
 * A task as a volunteer sees it: what, where, how long, by when, the instructions, and the
 * campaign's ground rules folded away under "Why we're doing this". Renders the page's h1.
 */
export function TaskDetails({
  title,
  instructionsHtml,
  location,
  durationMinutes,
  dueText,
  groundRules,
}: TaskDetailsProps) {
  const facts: Array<[string, string]> = [];
  if (location) facts.push(["Where", location]);
  if (durationMinutes) facts.push(["How long", durationWords(durationMinutes)]);
  if (dueText) facts.push(["When", dueText]);
  return (
    <article className="task-details" aria-labelledby="task-title">
      <h1 id="task-title">{title}</h1>
      {facts.length > 0 ? (
        <dl className="task-facts">
          {facts.map(([term, detail]) => (
            <div key={term} className="task-facts__item">
              <dt>{term}</dt>
              <dd>{detail}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <h2>What to do</h2>
      <div className="prose" dangerouslySetInnerHTML={{ __html: instructionsHtml }} />
      <details className="ground-rules">
        <summary>Why we're doing this</summary>
        <div className="ground-rules__body">
          <h3>Why take part</h3>
          <p className="pre-line">{groundRules.whyTakePart}</p>
          <h3>What we'll do with your reports</h3>
          <p className="pre-line">{groundRules.whatWeDo}</p>
          <h3>What's open for debate, and what isn't</h3>
          <p className="pre-line">{groundRules.whatIsOpen}</p>
        </div>
      </details>
    </article>
  );
}
