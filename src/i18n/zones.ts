// Time zones named the way people know them: by a city, in their language ("Moscow", «Москва»), never by an IANA id.
//
// English: the city of the IANA id itself (the ids are English place names). Russian: Intl's generic location name
// (CLDR), which is the city for a zone in a country with several zones and the country's name otherwise (one zone,
// so still unambiguous); a small table gives the city for the capitals people around here live in, where CLDR
// would say only the country. A zone Intl names only by offset keeps the city of its id.
import type { Locale } from "./messages.ts";

const RU_CITIES: Readonly<Record<string, string>> = {
  "Asia/Baku": "Баку", "Asia/Bangkok": "Бангкок", "Asia/Bishkek": "Бишкек", "Asia/Dubai": "Дубай", "Asia/Dushanbe": "Душанбе",
  "Asia/Jerusalem": "Иерусалим", "Asia/Seoul": "Сеул", "Asia/Shanghai": "Шанхай", "Asia/Tashkent": "Ташкент", "Asia/Tbilisi": "Тбилиси",
  "Asia/Tokyo": "Токио", "Asia/Yerevan": "Ереван", "Asia/Ashgabat": "Ашхабад", "Asia/Singapore": "Сингапур", "Asia/Kolkata": "Калькутта",
  "Europe/Amsterdam": "Амстердам", "Europe/Athens": "Афины", "Europe/Belgrade": "Белград", "Europe/Berlin": "Берлин",
  "Europe/Bratislava": "Братислава", "Europe/Brussels": "Брюссель", "Europe/Bucharest": "Бухарест", "Europe/Budapest": "Будапешт",
  "Europe/Chisinau": "Кишинёв", "Europe/Copenhagen": "Копенгаген", "Europe/Dublin": "Дублин", "Europe/Helsinki": "Хельсинки",
  "Europe/Istanbul": "Стамбул", "Europe/Kyiv": "Киев", "Europe/Lisbon": "Лиссабон", "Europe/Ljubljana": "Любляна",
  "Europe/London": "Лондон", "Europe/Madrid": "Мадрид", "Europe/Minsk": "Минск", "Europe/Oslo": "Осло", "Europe/Paris": "Париж",
  "Europe/Podgorica": "Подгорица", "Europe/Prague": "Прага", "Europe/Riga": "Рига", "Europe/Rome": "Рим", "Europe/Sofia": "София",
  "Europe/Stockholm": "Стокгольм", "Europe/Tallinn": "Таллин", "Europe/Vienna": "Вена", "Europe/Vilnius": "Вильнюс",
  "Europe/Warsaw": "Варшава", "Europe/Zagreb": "Загреб", "Europe/Zurich": "Цюрих",
};

const names = new Map<string, string>();

/** The zone's city (or, failing that, its country) in the reader's language, e.g. "Moscow", «Москва», "New York". */
export function zoneName(zone: string, locale: Locale): string {
  const key = `${locale}|${zone}`;
  let name = names.get(key);
  if (name === undefined) {
    name = nameOf(zone, locale);
    if (names.size > 2000) names.clear();
    names.set(key, name);
  }
  return name;
}

function nameOf(zone: string, locale: Locale): string {
  if (zone === "UTC" || zone.startsWith("Etc/")) return zone.replace(/^Etc\//, "");
  const city = (zone.split("/").at(-1) ?? zone).replaceAll("_", " ");
  if (locale === "en") return city;
  const table = RU_CITIES[zone];
  if (table) return table;
  let generic: string | undefined;
  try {
    generic = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: "shortGeneric" }).formatToParts(0).find((p) => p.type === "timeZoneName")?.value;
  } catch {
    return city; // not a zone this runtime knows
  }
  return generic && !/^(GMT|UTC)/.test(generic) ? generic : city;
}
