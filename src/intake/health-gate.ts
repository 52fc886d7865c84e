// Whether a client's intake form may be asked and its answers shown: answers to an intake form are health data, which
// needs the client's explicit consent (GDPR art. 9, 152-FZ art. 10), read from the consent ledger. This file is the
// one place that says where that consent is read; every asking and showing of an intake form goes through
// `intakeMayBeUsed` (intake.ts), which calls the predicate given here unless its caller passes another.
import type { Queryable } from "../db/client.ts";
import { healthDataAllowed as consentToHealthData } from "../consent/ledger.ts";

export type HealthDataAllowed = (db: Queryable, personId: string) => boolean;

export const healthDataAllowed: HealthDataAllowed = (db, personId) => consentToHealthData(db, personId);
