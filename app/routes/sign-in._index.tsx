import { getFormProps, useForm } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import type { z } from "zod";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorSummary, TextField } from "~/components/ui/form";
import { SignInSchema } from "~/schemas/sign-in.ts";
import { requestSignIn } from "~/utils/auth.server.ts";
import { parseForm } from "~/utils/form.server.ts";
import { clientIp } from "~/utils/request.server.ts";
import { getCurrentUser, safeRedirect } from "~/utils/session.server.ts";
import { pendingPhoneCookie } from "~/utils/sign-in-cookie.server.ts";

export const meta: MetaFunction = () => [{ title: "Sign in – Onward" }];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const redirectTo = safeRedirect(url.searchParams.get("redirectTo"), "");
  if (await getCurrentUser(request)) throw redirect(redirectTo || "/me");
  const signedOut = url.searchParams.get("signedOut");
  return {
    redirectTo,
    notice:
      signedOut === "everywhere"
        ? "You are signed out on every device."
        : signedOut
          ? "You are signed out."
          : null,
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const formData = await request.formData();
  const submission = parseForm(formData, { schema: SignInSchema });
  if (submission.status !== "success") {
    return data(submission.reply(), { status: 400 });
  }
  const { identifier, redirectTo } = submission.value;
  const result = await requestSignIn({
    identifier,
    ip: clientIp(request),
    redirectTo: safeRedirect(redirectTo, "") || null,
  });
  if (!result.ok) {
    return data(submission.reply({ formErrors: [result.error] }), { status: 429 });
  }
  if (identifier.channel === "SMS") {
    return redirect("/sign-in/code", {
      headers: { "Set-Cookie": await pendingPhoneCookie().serialize(identifier.phone) },
    });
  }
  return redirect(`/sign-in/sent?${new URLSearchParams({ to: identifier.email })}`);
}

export default function SignIn() {
  const { redirectTo, notice } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const [form, fields] = useForm<z.input<typeof SignInSchema>>({ id: "sign-in", lastResult });
  const errors = [
    ...(form.errors ?? []).map((message) => ({ id: "", message })),
    ...(fields.identifier.errors ?? []).map((message) => ({ id: fields.identifier.id, message })),
  ];
  return (
    <>
      <h1>Sign in</h1>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <ErrorSummary errors={errors} />
      <p>
        We'll send you a link by email, or a code by text message. There is no password to remember.
      </p>
      <Form method="post" {...getFormProps(form)} noValidate>
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <TextField
          meta={fields.identifier}
          label="Email address or mobile number"
          hint="For example, name@example.com or 07911 123456"
          autoComplete="username"
          inputMode="email"
        />
        <button type="submit" className="button">
          Send me a sign-in message
        </button>
      </Form>
      <h2>New to Onward?</h2>
      <p>You join through a campaign. Use the link or poster its organisers shared with you.</p>
    </>
  );
}
