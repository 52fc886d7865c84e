// Requests/s of a page that opens 40 sealed fields (20 people × name and email, read from SQLite and opened through
// the vault), next to the same page rendering the same values already in memory: the difference is the cost of
// encryption at rest. Served in-process by the real app (one core, no network), runs alternated, medians reported.
import { Hono } from "hono";
import { createPerson, listPeople } from "../../src/people/people.ts";
import { people } from "../../src/db/schema.ts";
import { makeInstallation } from "../../test/support/installation.ts";
import { median } from "./stats.ts";
import { en } from "../../src/i18n/messages.ts";
import { Layout } from "../../src/views/layout.tsx";

export interface PageFigures {
  sealedRps: number;
  plainRps: number;
  ratio: number;
}

export async function benchPage(runs = 5, seconds = 1.5): Promise<PageFigures> {
  const inst = makeInstallation({ KABINET_LOG_LEVEL: "error" });
  try {
    for (let i = 0; i < 20; i++) {
      createPerson(inst, { role: "client", email: `client.${i}@example.org`, name: `Клиент Номер ${i} Фамилия` }, "bench");
    }
    const plain = new Map(listPeople(inst).map((p) => [p.id, p]));
    // A real page: the app's layout around a table of people, as the people list will be.
    const page = { t: en, now: Date.now(), locale: "en" as const, nonce: "bench-nonce", path: "/people", viewer: null, org: { name: "Bench Clinic", logoUrl: null }, hourCycle: null };
    const list = (rows: { name: string; email: string; role: string }[]) => (
      <Layout page={page} title="People">
        <h1>People</h1>
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr>
                <td>{p.name}</td>
                <td>{p.email}</td>
                <td>{p.role}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Layout>
    );
    const app = new Hono();
    // Both read the same 20 rows with the same query; only the sealed page opens their fields.
    app.get("/sealed", (c) => c.html(list(listPeople(inst))));
    app.get("/plain", (c) => c.html(list(inst.db.select().from(people).orderBy(people.createdAt).all().map((r) => plain.get(r.id)!))));

    const rate = async (path: string): Promise<number> => {
      const url = `http://127.0.0.1${path}`;
      const until = performance.now() + seconds * 1000;
      let n = 0;
      while (performance.now() < until) {
        for (let i = 0; i < 50; i++) await (await app.fetch(new Request(url))).text();
        n += 50;
      }
      return n / seconds;
    };
    await rate("/sealed");
    await rate("/plain"); // warm-up
    const sealed: number[] = [];
    const plainRuns: number[] = [];
    for (let r = 0; r < runs; r++) {
      sealed.push(await rate("/sealed"));
      plainRuns.push(await rate("/plain"));
    }
    const s = median(sealed);
    const p = median(plainRuns);
    return { sealedRps: s, plainRps: p, ratio: s / p };
  } finally {
    inst.close();
  }
}

