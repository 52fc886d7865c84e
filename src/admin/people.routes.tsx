// People management. Admins only. A person id that does not exist is a 404.
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { linkUrl } from "../accounts/links.ts";
import {
  type AdminChange,
  changeRole,
  createPasswordResetLink,
  getPersonWithAccount,
  invitePerson,
  listPeopleWithAccounts,
  reissueInvitation,
  resetTwoFactorOf,
  setAccountActive,
} from "../accounts/people-admin.ts";
import { isRole, type Role } from "../roles.ts";
import type { AccountDeps } from "../accounts/sign-in.ts";
import { recordAudit } from "../audit/audit.ts";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { emailSchema, fieldErrors, nameSchema, readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { problem } from "../i18n/messages.ts";
import { isProcessingRestricted } from "../retention/holds.ts";
import { LinkHandoverPage, PeoplePage, PersonPage } from "./views/people-pages.tsx";

const inviteSchema = z.object({ name: nameSchema, email: emailSchema, role: z.string().refine(isRole, problem("invalid")) });

export function peopleRoutes(deps: AccountDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const actorOf = (c: Context<AppEnv>) => c.get("viewer")!.personId;

  app.get("/", allow(adminOnly), (c) => {
    const people = listPeopleWithAccounts(deps);
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: actorOf(c), action: "people.list", details: { count: people.length } }), { behavior: "immediate" });
    return c.html(<PeoplePage page={pageContext(c)} people={people} />);
  });

  app.post("/", allow(adminOnly), async (c) => {
    const t = c.get("t");
    const form = await readForm(c);
    const parsed = inviteSchema.safeParse(form);
    const rerender = (errors: Record<string, string>) =>
      c.html(<PeoplePage page={pageContext(c)} people={listPeopleWithAccounts(deps)} values={form} errors={errors} />, 422);
    if (!parsed.success) return rerender(fieldErrors(parsed.error, t));
    const role = parsed.data.role as Role;
    const result = invitePerson(deps, { ...parsed.data, role }, actorOf(c));
    if (result.kind === "email-taken") return rerender({ email: t.people.emailTaken });
    const person = getPersonWithAccount(deps, result.personId)!;
    return c.html(<LinkHandoverPage page={pageContext(c)} person={person} url={linkUrl(deps.config.publicUrl, result.token)} purpose="invite" mailed={deps.config.smtp !== null} />, 201);
  });

  app.get("/:id", allow(adminOnly), (c) => {
    const person = getPersonWithAccount(deps, c.req.param("id"));
    if (!person) return c.notFound();
    deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: actorOf(c), action: "person.view", target: person.id }), { behavior: "immediate" });
    return c.html(<PersonPage page={pageContext(c)} person={person} isSelf={person.id === actorOf(c)} restricted={isProcessingRestricted(deps.db, person.id)} />);
  });

  const outcome = (c: Context<AppEnv>, personId: string, result: AdminChange) => {
    const t = c.get("t");
    if (result === "not-found") return c.notFound();
    const person = getPersonWithAccount(deps, personId)!;
    const isSelf = person.id === actorOf(c);
    if (result === "ok") return c.html(<PersonPage page={pageContext(c)} person={person} isSelf={isSelf} notice={t.people.saved} />);
    const message = result === "last-admin" ? t.people.lastAdmin : result === "self" ? t.people.self : result === "erased" ? t.erasure.noAccount : t.people.notActive;
    return c.html(<PersonPage page={pageContext(c)} person={person} isSelf={isSelf} message={message} />, 409);
  };

  app.post("/:id/role", allow(adminOnly), async (c) => {
    const role = (await readForm(c)).role;
    if (!isRole(role)) {
      const person = getPersonWithAccount(deps, c.req.param("id"));
      if (!person) return c.notFound();
      return c.html(<PersonPage page={pageContext(c)} person={person} isSelf={person.id === actorOf(c)} message={c.get("t").form.invalid} />, 422);
    }
    return outcome(c, c.req.param("id"), changeRole(deps, c.req.param("id"), role, actorOf(c)));
  });

  app.post("/:id/deactivate", allow(adminOnly), (c) => outcome(c, c.req.param("id"), setAccountActive(deps, c.req.param("id"), false, actorOf(c))));
  app.post("/:id/reactivate", allow(adminOnly), (c) => outcome(c, c.req.param("id"), setAccountActive(deps, c.req.param("id"), true, actorOf(c))));

  app.post("/:id/reset-link", allow(adminOnly), (c) => {
    const id = c.req.param("id");
    const token = createPasswordResetLink(deps, id, actorOf(c));
    if (token === "not-found") return c.notFound();
    if (token === "not-active" || token === "erased") return outcome(c, id, token);
    const person = getPersonWithAccount(deps, id)!;
    return c.html(<LinkHandoverPage page={pageContext(c)} person={person} url={linkUrl(deps.config.publicUrl, token)} purpose="reset" mailed={deps.config.smtp !== null} />);
  });

  app.post("/:id/two-factor/reset", allow(adminOnly), async (c) => {
    const id = c.req.param("id");
    const result = await resetTwoFactorOf(deps, id, actorOf(c), (await readForm(c)).password ?? "");
    if (result === "wrong-password") {
      const person = getPersonWithAccount(deps, id);
      if (!person) return c.notFound();
      return c.html(<PersonPage page={pageContext(c)} person={person} isSelf={false} message={c.get("t").account.wrongPassword} />, 422);
    }
    return outcome(c, id, result);
  });

  app.post("/:id/invitation", allow(adminOnly), (c) => {
    const id = c.req.param("id");
    const person = getPersonWithAccount(deps, id);
    if (!person) return c.notFound();
    const token = reissueInvitation(deps, id, actorOf(c));
    if (token === null || token === "erased") return outcome(c, id, token ?? "not-active");
    return c.html(<LinkHandoverPage page={pageContext(c)} person={person} url={linkUrl(deps.config.publicUrl, token)} purpose="invite" mailed={deps.config.smtp !== null} />);
  });

  return app;
}
