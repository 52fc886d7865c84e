// The intake form's part of an appointment's page (src/booking/views/appointment-page.tsx): for the client, what to
// do about the form; for the appointment's specialist and whoever may open the client's record (their care or a
// break-glass grant), the answers (their reading audited). Nobody else sees anything of it.
import type { Appointment } from "../booking/appointments.ts";
import type { PageContext } from "../views/layout.tsx";
import { askedForm } from "./intake-forms.ts";
import { clientIntakeOf, intakeAnswersFor, type IntakeDeps, type IntakeViewer, mayReadIntake } from "./intake.ts";
import { ClientIntakeNotice, IntakeAnswersSection } from "./views/intake-pages.tsx";

export function intakePanel(deps: IntakeDeps, a: Appointment, viewer: IntakeViewer, page: PageContext, timeZone: string): JSX.Element | null {
  if (a.clientId === viewer.personId) {
    const intake = clientIntakeOf(deps, a.id, viewer, page.now);
    return intake ? <ClientIntakeNotice page={page} intake={intake} timeZone={timeZone} /> : null;
  }
  if (!mayReadIntake(deps, a, viewer, page.now)) return null;
  return <IntakeAnswersSection page={page} answers={intakeAnswersFor(deps, a.id, viewer)} asked={askedForm(deps.db, a.serviceId) !== null} timeZone={timeZone} />;
}
