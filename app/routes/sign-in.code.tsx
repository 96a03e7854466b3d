import { getFormProps, useForm } from "@conform-to/react";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import type { z } from "zod";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorSummary, TextField } from "~/components/ui/form";
import { CodeSchema } from "~/schemas/sign-in.ts";
import { CODE_MINUTES, verifyCode } from "~/utils/auth.server.ts";
import { parseForm } from "~/utils/form.server.ts";
import { clientIp } from "~/utils/request.server.ts";
import { safeRedirect, startUserSession } from "~/utils/session.server.ts";
import { pendingPhoneCookie } from "~/utils/sign-in-cookie.server.ts";

export const meta: MetaFunction = () => [{ title: "Enter your code – Onward" }];

// Served without React in the browser (app/root.tsx); works without JavaScript.
export const handle = { volunteerPage: true };

async function pendingPhone(request: Request): Promise<string | null> {
  const value: unknown = await pendingPhoneCookie().parse(request.headers.get("Cookie"));
  return typeof value === "string" ? value : null;
}

/** Shows only the last three digits, so a shared screen doesn't give the number away. */
function maskPhone(phone: string) {
  return `a number ending ${phone.slice(-3)}`;
}

export async function loader({ request }: LoaderFunctionArgs) {
  const phone = await pendingPhone(request);
  if (!phone) throw redirect("/sign-in");
  return { masked: maskPhone(phone), minutes: CODE_MINUTES };
}

export async function action({ request }: ActionFunctionArgs) {
  const phone = await pendingPhone(request);
  if (!phone) throw redirect("/sign-in");
  const submission = parseForm(await request.formData(), { schema: CodeSchema });
  if (submission.status !== "success") {
    return data(submission.reply(), { status: 400 });
  }
  const result = await verifyCode({ phone, code: submission.value.code, ip: clientIp(request) });
  if (!result.ok) {
    return data(submission.reply({ fieldErrors: { code: [result.error] } }), { status: 400 });
  }
  const response = await startUserSession({
    request,
    userId: result.userId,
    redirectTo: safeRedirect(result.redirectTo),
  });
  response.headers.append("Set-Cookie", await pendingPhoneCookie().serialize("", { maxAge: 0 }));
  return response;
}

export default function SignInCode() {
  const { masked, minutes } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const [form, fields] = useForm<z.input<typeof CodeSchema>>({ id: "sign-in-code", lastResult });
  const errors = (fields.code.errors ?? []).map((message) => ({ id: fields.code.id, message }));
  return (
    <>
      <h1>Enter your code</h1>
      <ErrorSummary errors={errors} />
      <p role="status">
        If {masked} has an Onward account, we've sent it a 6-digit code. It works for {minutes}{" "}
        minutes.
      </p>
      <Form method="post" {...getFormProps(form)} noValidate>
        <TextField
          meta={fields.code}
          label="Code"
          hint="The 6 digits from the text message"
          inputMode="numeric"
          autoComplete="one-time-code"
          className="code-input"
        />
        <button type="submit" className="button">
          Sign in
        </button>
      </Form>
      <p>
        No text? <Link to="/sign-in">Ask for a new code</Link>.
      </p>
    </>
  );
}
