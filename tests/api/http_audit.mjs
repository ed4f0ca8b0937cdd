// Runs the GraphQL-over-HTTP conformance audit of `graphql-http` against a running server and
// prints one JSON object per check, one a line: { id, name, status, reason, httpStatus }.
// status is "ok", or for a failed check "error" (a MUST), "warn" (a SHOULD) or "notice" (a MAY).
//
// Usage: node http_audit.mjs <node_modules prefix> <url>, with the API key in AUDIT_API_KEY.
// Started by tests/api/http_audit.rs, which installs graphql-http into the prefix.

import { createRequire } from 'node:module';
import { join } from 'node:path';

const [prefix, url] = process.argv.slice(2);
const key = process.env.AUDIT_API_KEY;
if (!prefix || !url || !key) {
  console.error('usage: AUDIT_API_KEY=… node http_audit.mjs <prefix> <url>');
  process.exit(2);
}

const require = createRequire(join(prefix, 'package.json'));
const { auditServer } = require('graphql-http');

// Every request of the audit goes through authentication first, as any client's does.
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${key}`);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
for (const result of results) {
  console.log(
    JSON.stringify({
      id: result.id,
      name: result.name,
      status: result.status,
      reason: result.reason ?? null,
      httpStatus: result.response?.status ?? null,
    }),
  );
}
