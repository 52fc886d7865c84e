// Every string a person reads, in English and Russian. English is the shape; Russian must have every key.
export const en = {
  lang: { name: "English", switchTo: "Язык", label: "Language" },
  app: { name: "Kabinet", tagline: "Online consultations on your organisation's own hardware" },
  home: {
    title: "Kabinet is running",
    lead: "This is your organisation's private consultation service. Personal data stays on this server, encrypted at rest.",
    statusTitle: "Service status",
    database: "Database",
    encryption: "Encryption at rest",
    ok: "ready",
    next: "Accounts and sign-in are set up next; until then there is nothing to sign in to.",
  },
  errors: {
    notFoundTitle: "Page not found",
    notFoundText: "There is no page at this address. Check the link, or go to the start page.",
    serverTitle: "Something went wrong",
    serverText: "The server could not finish this request. Nothing you entered was lost. Please try again in a moment.",
    requestId: "Reference for support",
    forbiddenTitle: "Request refused",
    csrfText: "This request came from another site, so it was refused to protect your account. Open Kabinet at its own address and try again.",
    badRequestTitle: "Request not understood",
    home: "Go to the start page",
  },
  footer: { privacy: "Your data is stored only on this organisation's server." },
};

export type Messages = typeof en;

export const ru: Messages = {
  lang: { name: "Русский", switchTo: "Language", label: "Язык" },
  app: { name: "Кабинет", tagline: "Онлайн-консультации на собственном оборудовании организации" },
  home: {
    title: "Кабинет работает",
    lead: "Это закрытый сервис консультаций вашей организации. Персональные данные остаются на этом сервере в зашифрованном виде.",
    statusTitle: "Состояние сервиса",
    database: "База данных",
    encryption: "Шифрование данных",
    ok: "в порядке",
    next: "Следующий шаг — учётные записи и вход; до тех пор входить некуда.",
  },
  errors: {
    notFoundTitle: "Страница не найдена",
    notFoundText: "По этому адресу страницы нет. Проверьте ссылку или перейдите на главную.",
    serverTitle: "Что-то пошло не так",
    serverText: "Сервер не смог выполнить запрос. Введённые данные не потеряны. Попробуйте ещё раз через минуту.",
    requestId: "Номер обращения для поддержки",
    forbiddenTitle: "Запрос отклонён",
    csrfText: "Запрос пришёл с другого сайта и был отклонён, чтобы защитить вашу учётную запись. Откройте Кабинет по его собственному адресу и повторите.",
    badRequestTitle: "Запрос не распознан",
    home: "На главную",
  },
  footer: { privacy: "Ваши данные хранятся только на сервере этой организации." },
};

export const LOCALES = { en, ru } as const;
export type Locale = keyof typeof LOCALES;
export const DEFAULT_LOCALE: Locale = "en";

export function isLocale(value: unknown): value is Locale {
  return value === "en" || value === "ru";
}

/** The chosen language (cookie) wins; otherwise the best match in Accept-Language; otherwise the default. */
export function negotiateLocale(cookie: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(cookie)) return cookie;
  const ranked = (acceptLanguage ?? "")
    .split(",")
    .map((part) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return { lang: tag.toLowerCase().split("-")[0], q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  return ranked.map((x) => x.lang).find(isLocale) ?? DEFAULT_LOCALE;
}
