import { getFormProps, useForm } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import type { z } from "zod";
import { ObjectiveProgress } from "~/components/progress";
import { ErrorSummary, TextField } from "~/components/ui/form";
import { joinAsMember, signUpVolunteer } from "~/loop/service.server.ts";
import { getCampaignProgress } from "~/models/campaign.server.ts";
import {
  findPersonByContact,
  getJoinPage,
  getOpenAssignmentInCampaign,
} from "~/models/volunteer.server.ts";
import { CHANNEL_WORDING, JoinSchema } from "~/schemas/join.ts";
import { requestSignIn } from "~/utils/auth.server.ts";
import { parseForm } from "~/utils/form.server.ts";
import { useNonce } from "~/utils/nonce";
import { consume, retryAfter, retryAfterHeaders, waitWords } from "~/utils/rate-limit.server.ts";
import { clientIp } from "~/utils/request.server.ts";
import { getCurrentUser, startUserSession } from "~/utils/session.server.ts";
import { pendingPhoneCookie } from "~/utils/sign-in-cookie.server.ts";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Join ${data.campaign.title} – Onward` : "Join a campaign – Onward" },
  ...(data ? [{ name: "description", content: data.campaign.description }] : []),
];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export const headers = retryAfterHeaders;

async function loadCampaign(slug: string | undefined) {
  const campaign = await getJoinPage({ slug: slug ?? "" });
  if (!campaign) throw new Response("Not found", { status: 404 });
  return campaign;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const campaign = await loadCampaign(params.slug);
  const [user, progress] = await Promise.all([
    getCurrentUser(request),
    getCampaignProgress({ campaignId: campaign.id }),
  ]);
  const open = user
    ? await getOpenAssignmentInCampaign({ userId: user.id, campaignId: campaign.id })
    : null;
  return {
    campaign: {
      slug: campaign.slug,
      title: campaign.title,
      description: campaign.description,
      open: campaign.status === "LIVE",
      metricLabel: campaign.metricLabel,
      target: campaign.target,
      whyTakePart: campaign.whyTakePart,
      whatWeDo: campaign.whatWeDo,
      whatIsOpen: campaign.whatIsOpen,
      organisation: campaign.organisation.name,
    },
    progress: progress.total,
    signedInAs: user ? (user.name ?? "you") : null,
    openAssignmentId: open?.id ?? null,
    wording: CHANNEL_WORDING,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const campaign = await loadCampaign(params.slug);
  if (campaign.status !== "LIVE") {
    return data({ result: null, closed: true }, { status: 409 });
  }
  const formData = await request.formData();
  const user = await getCurrentUser(request);
  if (user && formData.get("intent") === "join-as-member") {
    const { assignmentId } = await joinAsMember({
      campaignId: campaign.id,
      organisationId: campaign.organisationId,
      userId: user.id,
    });
    throw redirect(assignmentId ? `/tasks/${assignmentId}?welcome=1` : "/me");
  }

  const submission = parseForm(formData, { schema: JoinSchema });
  if (submission.status !== "success") {
    return data({ result: submission.reply(), closed: false }, { status: 400 });
  }
  const input = submission.value;
  const existing = await findPersonByContact({ email: input.email, phone: input.phone });
  if (existing) {
    // Someone who has joined before signs in rather than getting a second account.
    const identifier =
      input.email && existing.email === input.email
        ? ({ channel: "EMAIL", email: input.email } as const)
        : ({ channel: "SMS", phone: existing.phone ?? input.phone ?? "" } as const);
    const sent = await requestSignIn({
      identifier,
      ip: clientIp(request),
      redirectTo: `/join/${campaign.slug}`,
    });
    if (!sent.ok)
      return data(
        { result: submission.reply({ formErrors: [sent.error] }), closed: false },
        { status: 429 },
      );
    if (identifier.channel === "SMS") {
      throw redirect("/sign-in/code", {
        headers: { "Set-Cookie": await pendingPhoneCookie().serialize(identifier.phone) },
      });
    }
    throw redirect(`/sign-in/sent?${new URLSearchParams({ to: identifier.email, joined: "1" })}`);
  }

  const limited = await consume([{ limit: "signUpPerIp", key: clientIp(request) }]);
  if (!limited.ok) {
    const wait = waitWords(limited.retryAfterSeconds);
    return data(
      {
        result: submission.reply({
          formErrors: [
            `A lot of people have just joined from your internet connection. Please wait ${wait} and try again.`,
          ],
        }),
        closed: false,
      },
      { status: 429, headers: retryAfter(limited) },
    );
  }

  const consents = (input.channel === "BOTH" ? (["EMAIL", "SMS"] as const) : [input.channel]).map(
    (channel) => ({
      channel,
      wording: CHANNEL_WORDING[channel],
    }),
  );
  const { userId, assignmentId } = await signUpVolunteer({
    campaignId: campaign.id,
    organisationId: campaign.organisationId,
    person: {
      name: input.name,
      email: input.email ?? null,
      phone: input.phone ?? null,
      postcode: input.postcode.postcode,
      district: input.postcode.district,
      timezone: input.timezone ?? campaign.organisation.timezone,
      channelPreference: input.channel,
    },
    consents,
  });
  return startUserSession({
    request,
    userId,
    redirectTo: assignmentId ? `/tasks/${assignmentId}?welcome=1` : "/me",
  });
}

function GroundRules({ why, what, open }: { why: string; what: string; open: string }) {
  return (
    <section aria-labelledby="rules-heading" className="panel">
      <h2 id="rules-heading">Before you join</h2>
      <h3>Why take part</h3>
      <p>{why}</p>
      <h3>What we'll do with your reports</h3>
      <p>{what}</p>
      <h3>What's open for debate, and what isn't</h3>
      <p>{open}</p>
    </section>
  );
}

export default function Join() {
  const { campaign, progress, signedInAs, openAssignmentId, wording } =
    useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const nonce = useNonce();
  const [form, fields] = useForm<z.input<typeof JoinSchema>>({
    id: "join",
    lastResult: actionData?.result ?? undefined,
  });
  const errorList = [
    ...(form.errors ?? []).map((message) => ({ id: "", message })),
    ...(["name", "email", "phone", "postcode", "channel"] as const).flatMap((key) =>
      (fields[key].errors ?? []).map((message) => ({ id: fields[key].id, message })),
    ),
  ];
  const channelError = fields.channel.errors?.[0];
  return (
    <>
      <p className="muted">{campaign.organisation}</p>
      <h1>{campaign.title}</h1>
      <p className="lead">{campaign.description}</p>
      <ObjectiveProgress total={progress} target={campaign.target} label={campaign.metricLabel} />
      <GroundRules why={campaign.whyTakePart} what={campaign.whatWeDo} open={campaign.whatIsOpen} />

      {!campaign.open || actionData?.closed ? (
        <p className="notice" role="status">
          This campaign isn't taking new volunteers right now. Thank you for your interest.
        </p>
      ) : openAssignmentId ? (
        <p className="notice">
          You're already taking part. <Link to={`/tasks/${openAssignmentId}`}>Go to your task</Link>
          .
        </p>
      ) : signedInAs ? (
        <Form method="post">
          <input type="hidden" name="intent" value="join-as-member" />
          <button type="submit" className="button">
            Join as {signedInAs}
          </button>
        </Form>
      ) : (
        <>
          <h2 id="join-heading">Join in</h2>
          <ErrorSummary errors={errorList} />
          <p>It takes a minute. We'll give you your first task straight away.</p>
          <Form method="post" {...getFormProps(form)} noValidate aria-labelledby="join-heading">
            <TextField meta={fields.name} label="Your first name" autoComplete="given-name" />
            <TextField
              meta={fields.email}
              label="Email address"
              hint="For your tasks and a link to sign in. Leave it empty if you'd rather use your mobile."
              type="email"
              autoComplete="email"
              inputMode="email"
            />
            <TextField
              meta={fields.phone}
              label="Mobile number"
              hint="A UK mobile, like 07911 123456. Leave it empty if you'd rather use email."
              type="tel"
              autoComplete="tel"
              inputMode="tel"
            />
            <TextField
              meta={fields.postcode}
              label="Postcode"
              hint="So we can give you tasks near you. We only show your area, never your address."
              autoComplete="postal-code"
              className="postcode-input"
            />
            <fieldset aria-describedby={channelError ? fields.channel.errorId : undefined}>
              <legend>How do you want to hear from us?</legend>
              {channelError ? (
                <span className="field-error" id={fields.channel.errorId}>
                  {channelError}
                </span>
              ) : null}
              {(
                [
                  ["EMAIL", "By email", wording.EMAIL],
                  ["SMS", "By text message", wording.SMS],
                  ["BOTH", "Both", `${wording.EMAIL} ${wording.SMS}`],
                ] as const
              ).map(([value, label, text]) => (
                <div className="choice" key={value}>
                  <input
                    type="radio"
                    id={`channel-${value}`}
                    name={fields.channel.name}
                    value={value}
                    defaultChecked={fields.channel.initialValue === value}
                    aria-describedby={`channel-${value}-hint`}
                  />
                  <div>
                    <label htmlFor={`channel-${value}`}>{label}</label>
                    <span className="hint" id={`channel-${value}-hint`}>
                      {text}
                    </span>
                  </div>
                </div>
              ))}
            </fieldset>
            <input type="hidden" name="timezone" id="join-timezone" />
            <script
              nonce={nonce}
              // Fills in the browser's timezone so reminders arrive at sensible local times.
              dangerouslySetInnerHTML={{
                __html:
                  'try{document.getElementById("join-timezone").value=Intl.DateTimeFormat().resolvedOptions().timeZone}catch(e){}',
              }}
            />
            <p className="hint">
              <Link to="/privacy">How we use your data</Link>: what we keep, for how long, and how
              to download or delete it.
            </p>
            <button type="submit" className="button">
              Join and get my first task
            </button>
          </Form>
          <p>
            Joined before? <Link to={`/sign-in?redirectTo=/join/${campaign.slug}`}>Sign in</Link>.
          </p>
        </>
      )}
    </>
  );
}
