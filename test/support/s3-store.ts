// A small S3-compatible object store on loopback (path-style, one bucket, objects in memory): what Litestream's S3
// replica needs from the organisation's MinIO/Ceph/Garage (ListObjects, PutObject, GetObject, DeleteObjects), so the
// s3:// configuration is exercised end to end without a network. Requests must carry an AWS Signature V4 made with the
// one key pair it knows (a wrong or missing secret is refused, as a real store refuses it).
import type { Server } from "bun";
import { createHash, createHmac } from "node:crypto";

export interface S3Store {
  endpoint: string;
  /** Object keys, by bucket/key. */
  keys(): string[];
  /** Every access key id requests came with (refused ones too). */
  accessKeyIds: Set<string>;
  stop(): void;
}

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const xml = (body: string, status = 200) => new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, { status, headers: { "content-type": "application/xml" } });
const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Whether the request's SigV4 signature was made with `secret` (header-signed requests, as AWS SDKs send). */
function signedWith(req: Request, url: URL, secret: string): boolean {
  const auth = req.headers.get("authorization") ?? "";
  const m = auth.match(/^AWS4-HMAC-SHA256 Credential=[^/]+\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/);
  if (!m) return false;
  const [, day, region, signedHeaders, signature] = m as unknown as [string, string, string, string, string];
  const amzDate = req.headers.get("x-amz-date") ?? "";
  const query = [...url.searchParams].map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).sort().join("&");
  const headers = signedHeaders.split(";").map((h) => `${h}:${(req.headers.get(h) ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const path = url.pathname.split("/").map((seg) => rfc3986(decodeURIComponent(seg))).join("/");
  const canonical = [req.method, path, query, headers, signedHeaders, req.headers.get("x-amz-content-sha256") ?? ""].join("\n");
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonical).digest("hex")].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), "s3"), "aws4_request");
  return hmac(key, toSign).toString("hex") === signature;
}

export function startS3Store(bucket: string, keyPair: { accessKeyId: string; secret: string }): S3Store {
  const objects = new Map<string, { body: ArrayBuffer; modified: Date }>();
  const accessKeyIds = new Set<string>();

  function list(url: URL): Response {
    const prefix = url.searchParams.get("prefix") ?? "";
    const delimiter = url.searchParams.get("delimiter") ?? "";
    const contents: string[] = [];
    const prefixes = new Set<string>();
    for (const [key, o] of [...objects].sort(([a], [b]) => a.localeCompare(b))) {
      if (!key.startsWith(prefix)) continue;
      const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (at >= 0) prefixes.add(key.slice(0, at + delimiter.length));
      else contents.push(`<Contents><Key>${escape(key)}</Key><LastModified>${o.modified.toISOString()}</LastModified><ETag>"0"</ETag><Size>${o.body.byteLength}</Size><StorageClass>STANDARD</StorageClass></Contents>`);
    }
    const common = [...prefixes].map((p) => `<CommonPrefixes><Prefix>${escape(p)}</Prefix></CommonPrefixes>`);
    return xml(`<ListBucketResult ${NS}><Name>${bucket}</Name><Prefix>${escape(prefix)}</Prefix><Marker></Marker><MaxKeys>1000</MaxKeys><Delimiter>${escape(delimiter)}</Delimiter><IsTruncated>false</IsTruncated>${contents.join("")}${common.join("")}</ListBucketResult>`);
  }

  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const credential = req.headers.get("authorization")?.match(/Credential=([^/]+)\//)?.[1];
      if (credential) accessKeyIds.add(credential);
      if (credential !== keyPair.accessKeyId || !signedWith(req, url, keyPair.secret)) {
        return xml("<Error><Code>SignatureDoesNotMatch</Code><Message>bad signature</Message></Error>", 403);
      }
      const [, name = "", ...rest] = decodeURIComponent(url.pathname).split("/");
      if (name !== bucket) return xml("<Error><Code>NoSuchBucket</Code><Message>no such bucket</Message></Error>", 404);
      const key = rest.join("/");
      if (req.method === "GET" && key === "") return list(url);
      if (req.method === "PUT") {
        objects.set(key, { body: await req.arrayBuffer(), modified: new Date() });
        return new Response(null, { headers: { etag: '"0"' } });
      }
      if (req.method === "GET") {
        const o = objects.get(key);
        if (!o) return xml(`<Error><Code>NoSuchKey</Code><Message>no such key</Message><Key>${escape(key)}</Key></Error>`, 404);
        return new Response(o.body, { headers: { "content-length": String(o.body.byteLength), "last-modified": o.modified.toUTCString(), etag: '"0"' } });
      }
      if (req.method === "POST" && url.searchParams.has("delete")) {
        const deleted = [...(await req.text()).matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&"));
        for (const k of deleted) objects.delete(k);
        return xml(`<DeleteResult ${NS}>${deleted.map((k) => `<Deleted><Key>${escape(k)}</Key></Deleted>`).join("")}</DeleteResult>`);
      }
      return xml("<Error><Code>NotImplemented</Code><Message>not implemented</Message></Error>", 501);
    },
  });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    keys: () => [...objects.keys()],
    accessKeyIds,
    stop: () => void server.stop(true),
  };
}
