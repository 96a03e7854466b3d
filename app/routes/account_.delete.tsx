import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ErrorSummary } from "~/components/ui/form";
import { deleteAccount, listOrganisationsOnlyOwnedBy } from "~/models/privacy.server.ts";
import { DeleteAccountSchema } from "~/schemas/privacy.ts";
import { parseForm } from "~/utils/form.server.ts";
import { endUserSession, requireUser } from "~/utils/session.server.ts";

export const meta: MetaFunction = () => [{ title: "Delete your account – Onward" }];

/** /account/delete: what deleting an account does, and the button that does it. */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const soleOwnerOf = await listOrganisationsOnlyOwnedBy({ userId: user.id });
  return { soleOwnerOf: soleOwnerOf.map((organisation) => organisation.name) };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const submission = parseForm(await request.formData(), { schema: DeleteAccountSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const result = await deleteAccount({ userId: user.id });
  if (!result.ok) {
    return data(submission.reply({ formErrors: [result.error] }), { status: 400 });
  }
  // The sessions were revoked with the account; this also clears this browser's cookie.
  const signedOut = await endUserSession({ request, everywhere: true });
  return redirect("/account/deleted", {
    headers: { "Set-Cookie": signedOut.headers.get("Set-Cookie") ?? "" },
  });
}

export default function DeleteAccount() {
  const { soleOwnerOf } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const errors = Object.values(lastResult?.error ?? {})
    .flatMap((messages) => messages ?? [])
    .map((message) => ({ id: "", message }));
  return (
    <>
      <p>
        <Link className="standalone-link" to="/account">
          Back to your account
        </Link>
      </p>
      <h1>Delete your account</h1>
      <ErrorSummary errors={errors} />
      <p className="lead">This can't be undone. Here is what happens straight away:</p>
      <ul>
        <li>We remove your name, email address, mobile number and postcode.</li>
        <li>Your open tasks are cancelled, and we won't email or text you again.</li>
        <li>
          The messages we sent you and the texts you sent us are cleared. We keep only that a
          message was sent, and when.
        </li>
        <li>
          Your reports stay, so that what your campaigns achieved still adds up. They lose your name
          and anything you wrote in your own words. We keep the area they came from (like LS6),
          never your address.
        </li>
        <li>You're signed out on every device.</li>
      </ul>
      <p>
        If you join again later, you start afresh, even with the same email address or number. We
        can't link you to your old account.
      </p>
      <p>
        Want a copy first?{" "}
        <a href="/account/data.json" download>
          Download your data
        </a>
        . To stop messages but keep your account, <Link to="/account#consent">turn them off</Link>{" "}
        instead. <Link to="/privacy">How we use your data</Link>.
      </p>
      {soleOwnerOf.length > 0 ? (
        <p className="notice" role="status">
          You're the only owner of {soleOwnerOf.join(" and ")}. Make someone else an owner first, so
          the organisation isn't left without one.
        </p>
      ) : (
        <Form method="post">
          <input type="hidden" name="intent" value="delete-account" />
          <button type="submit" className="button" disabled={navigation.state !== "idle"}>
            Delete my account
          </button>
        </Form>
      )}
    </>
  );
}
