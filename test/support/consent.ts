// Consent to health data for tests of what needs it (intake forms): the organisation's text, saved once, and the
// client's consent given through the ledger, as the client's own consents page does.
import { currentDocument, saveConsentText } from "../../src/consent/consent.ts";
import { giveConsent } from "../../src/consent/ledger.ts";
import type { TestInstallation } from "./installation.ts";

export function consentToHealthData(inst: TestInstallation, personId: string): void {
  const now = inst.clock.now();
  if (!currentDocument(inst.db, "health-data")) saveConsentText(inst.db, inst.vault, "health-data", { textEn: "I agree to the processing of my health data.", textRu: "Я согласен на обработку данных о моём здоровье." }, "test", now);
  const given = inst.db.transaction((tx) => giveConsent(tx, inst.vault, { personId, purpose: "health-data", method: "account", recordedBy: personId }, now));
  if (!given.ok && given.reason !== "already-given") throw new Error(`consent failed: ${given.reason}`);
}
