import type { Locale, Messages } from "../i18n/messages.ts";

/** What middleware puts on every request's context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    locale: Locale;
    t: Messages;
    secureHeadersNonce?: string;
  };
}
