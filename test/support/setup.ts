// Preloaded by bunfig.toml for every test file: integration tests start real servers, browsers and Caddy.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
