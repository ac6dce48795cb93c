// awsgate through the official MCP TypeScript SDK (what Claude Code, Claude Desktop and Cursor
// run): one scenario over stdio or streamable HTTP, described by AWSGATE_CLIENT_CASE (JSON).
// Prints one JSON line per check and exits non-zero when any check failed. See README.md.
'use strict';

const { execFileSync } = require('node:child_process');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { ElicitRequestSchema } = require('@modelcontextprotocol/sdk/types.js');
const sdkVersion = JSON.parse(require('node:fs').readFileSync(
  require('node:path').join(process.env.NODE_PATH || '', '@modelcontextprotocol/sdk/package.json'), 'utf8')).version;

const spec = JSON.parse(process.env.AWSGATE_CLIENT_CASE || 'null');
if (!spec) {
  console.error('AWSGATE_CLIENT_CASE is not set: run this through tools/test');
  process.exit(2);
}

let failed = 0;
function report(name, ok, detail) {
  if (!ok) failed += 1;
  process.stdout.write(JSON.stringify({ case: name, ok, detail: String(detail ?? '') }) + '\n');
}

// Runs one check; an exception the check did not expect fails it.
async function check(name, body) {
  try {
    const [ok, detail] = await body();
    report(name, ok, detail);
  } catch (e) {
    report(name, false, `client-side exception: ${e && e.stack ? e.stack : e}`);
  }
}

function text(result) {
  return (result.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

function held(result) {
  return !result.isError && result.structuredContent && result.structuredContent.awsgate;
}

// What the user answers to the next confirmation.
let answer = 'decline';

function connect(token) {
  const client = new Client({ name: 'awsgate-ts-sdk-test', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async () =>
    answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' });
  let transport;
  if (spec.transport === 'http') {
    transport = new StreamableHTTPClientTransport(new URL(spec.url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
  } else if (spec.transport === 'connect') {
    // The stdio bridge to a remote awsgate: no AWS settings in its environment at all.
    transport = new StdioClientTransport({
      command: spec.bin,
      args: ['connect', spec.url, '--token-file', spec.token_files[token]],
      env: { AWSGATE_LOG: 'error' },
      stderr: 'inherit',
    });
  } else {
    transport = new StdioClientTransport({
      command: spec.bin,
      args: ['serve', '--policy', spec.policy, '--db', spec.db],
      env: { ...spec.server_env, AWSGATE_TOKEN: token },
      stderr: 'inherit',
    });
  }
  return client.connect(transport).then(() => client);
}

// The arguments of a tool call: every required argument, by name, from the case's values,
// and the optional ones the case gives for this tool.
function argumentsFor(tool) {
  const required = (tool.inputSchema && tool.inputSchema.required) || [];
  const args = {};
  for (const name of required) {
    if (!(name in spec.args)) {
      throw new Error(`no value for required argument \`${name}\` of \`${tool.name}\`: add one to the case's args in tests/integration/clients.rs`);
    }
    args[name] = spec.args[name];
  }
  return Object.assign(args, spec.also[tool.name] || {});
}

function approvals(verdict, id) {
  return execFileSync(spec.bin, ['approvals', verdict, id, '--db', spec.db, '--policy', spec.policy,
    '--token', spec.approver_token, '--reason', `${verdict} by the TypeScript SDK test`],
  { encoding: 'utf8', env: { ...process.env, ...spec.server_env } });
}

async function main() {
  report('sdk_version', true, sdkVersion);
  const client = await connect(spec.agent_token);
  const b = spec.args.bucket;
  const k = spec.keys;
  let tools = [];

  await check('list_tools', async () => {
    tools = (await client.listTools()).tools;
    const without = tools.filter((t) => !t.outputSchema).map((t) => t.name);
    return [tools.length > 0 && without.length === 0, `${tools.length} tools; without output schema: [${without}]`];
  });

  // Every read tool, with the seeded values for its required arguments: the SDK accepts each
  // answer (it validates structuredContent against the tool's output schema). Write tools
  // are called by the checks below; every tool's answer is validated in schemas.rs too.
  for (const tool of tools.filter((t) => t.annotations && t.annotations.readOnlyHint)) {
    await check(`call:${tool.name}`, async () => {
      const result = await client.callTool({ name: tool.name, arguments: argumentsFor(tool) });
      if (spec.error_expected.includes(tool.name)) {
        return [result.isError === true && result.structuredContent === undefined, text(result).slice(0, 200)];
      }
      return [!result.isError && result.structuredContent !== undefined, text(result).slice(0, 200)];
    });
  }

  const del = (key) => client.callTool({ name: 's3_delete_object', arguments: { bucket: b, key, reason: 'SDK test' } });
  await check('held_then_approved', async () => {
    const first = await del(k.approve);
    if (!held(first)) return [false, `expected a held call: ${text(first)}`];
    const id = first.structuredContent.awsgate.request_id;
    if (!/^apr_/.test(id) || !text(first).includes('waiting for a human approver')) return [false, text(first)];
    approvals('approve', id);
    const again = await del(k.approve);
    return [!again.isError && !held(again) && again.structuredContent !== undefined, `${id}: ${text(again)}`];
  });

  await check('approver_denied', async () => {
    const first = await del(k.deny);
    if (!held(first)) return [false, `expected a held call: ${text(first)}`];
    const id = first.structuredContent.awsgate.request_id;
    approvals('deny', id);
    const again = await del(k.deny);
    return [again.isError === true && /was denied by user:approver/.test(text(again)), text(again)];
  });

  const put = (key) => client.callTool({ name: 's3_put_object', arguments: { bucket: b, key, body: 'confirmed' } });
  await check('confirm_accepted', async () => {
    answer = 'accept';
    const result = await put(k.confirm_yes);
    return [!result.isError && result.structuredContent !== undefined, text(result)];
  });
  await check('confirm_declined', async () => {
    answer = 'decline';
    const result = await put(k.confirm_no);
    return [result.isError === true && /did not confirm/.test(text(result)), text(result)];
  });

  await check('aws_error', async () => {
    const result = await client.callTool({ name: 's3_get_object', arguments: { bucket: b, key: k.missing } });
    return [result.isError === true && /AWS refused `s3_get_object`: NoSuchKey/.test(text(result)), text(result)];
  });
  await check('denied', async () => {
    const result = await client.callTool({ name: 's3_get_object', arguments: { bucket: b, key: k.secret } });
    return [result.isError === true && /denied by policy rule `no-secrets`/.test(text(result)), text(result)];
  });
  await check('unknown_tool', async () => {
    const result = await client.callTool({ name: 's3_lst_buckets', arguments: {} });
    return [result.isError === true && /unknown tool `s3_lst_buckets`/.test(text(result)), text(result)];
  });
  await check('bad_arguments', async () => {
    const result = await client.callTool({ name: 's3_list_objects', arguments: {} });
    return [result.isError === true && /invalid arguments for `s3_list_objects`/.test(text(result)), text(result)];
  });
  await client.close();

  await check('token_refused', async () => {
    if (spec.transport !== 'stdio') {
      // Over HTTP the bearer token is checked before MCP: 401, which the SDK raises (through
      // the bridge: a JSON-RPC error answering `initialize`).
      try {
        const refused = await connect(spec.bad_token);
        await refused.close();
        return [false, 'a bad token was accepted'];
      } catch (e) {
        return [/did not accept (your identity|the token)/.test(String(e)), String(e)];
      }
    }
    const refused = await connect(spec.bad_token);
    const result = await refused.callTool({ name: 's3_list_buckets', arguments: {} });
    await refused.close();
    return [result.isError === true && /did not accept your identity/.test(text(result)), text(result)];
  });
}

main().then(
  () => {
    process.stdout.write(`typescript-sdk: ${failed === 0 ? 'all checks passed' : `${failed} check(s) failed`}\n`);
    process.exit(failed === 0 ? 0 : 1);
  },
  (e) => {
    report('run', false, `client-side exception: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  },
);
