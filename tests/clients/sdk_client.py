"""awsgate through the official MCP Python SDK (`mcp`): one scenario over stdio or streamable
HTTP, described by AWSGATE_CLIENT_CASE (JSON). Prints one JSON line per check and exits non-zero
when any check failed. See README.md.

The client connects in the SDK's default mode, which negotiates protocol 2026-07-28 with
awsgate, so confirmations travel as `InputRequiredResult` answered by the elicitation callback.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import traceback
from importlib.metadata import version

import httpx2
import mcp_types as types
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

SPEC = json.loads(os.environ.get("AWSGATE_CLIENT_CASE") or "null")
failed = 0
answer = "decline"  # what the user answers to the next confirmation


def report(name, ok, detail=""):
    global failed
    if not ok:
        failed += 1
    print(json.dumps({"case": name, "ok": bool(ok), "detail": str(detail)}), flush=True)


async def check(name, body):
    """Runs one check; an exception the check did not expect fails it."""
    try:
        ok, detail = await body()
        report(name, ok, detail)
    except BaseException:  # noqa: BLE001 - any client-side exception fails the check
        report(name, False, "client-side exception: " + traceback.format_exc())


def text(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", None) == "text")


def held(result):
    content = result.structured_content
    return not result.is_error and isinstance(content, dict) and "awsgate" in content


async def on_elicit(context, params):
    if answer == "accept":
        return types.ElicitResult(action="accept", content={"confirm": True})
    return types.ElicitResult(action="decline")


def client_for(token):
    if SPEC["transport"] == "http":
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
        server = streamable_http_client(SPEC["url"], http_client=http)
    elif SPEC["transport"] == "connect":
        # The stdio bridge to a remote awsgate: no AWS settings in its environment at all.
        server = StdioServerParameters(
            command=SPEC["bin"],
            args=["connect", SPEC["url"], "--token-file", SPEC["token_files"][token]],
            env={"AWSGATE_LOG": "error"},
        )
    else:
        env = dict(SPEC["server_env"], AWSGATE_TOKEN=token)
        server = StdioServerParameters(
            command=SPEC["bin"], args=["serve", "--policy", SPEC["policy"], "--db", SPEC["db"]], env=env
        )
    return Client(server, elicitation_callback=on_elicit, read_timeout_seconds=60)


def arguments_for(tool):
    """Every required argument, by name, from the case's values, and the optional ones the case
    gives for this tool."""
    args = {}
    for name in (tool.input_schema or {}).get("required", []):
        if name not in SPEC["args"]:
            raise KeyError(
                f"no value for required argument `{name}` of `{tool.name}`: "
                "add one to the case's args in tests/integration/clients.rs"
            )
        args[name] = SPEC["args"][name]
    return {**args, **SPEC["also"].get(tool.name, {})}


def approvals(verdict, request_id):
    subprocess.run(
        [SPEC["bin"], "approvals", verdict, request_id, "--db", SPEC["db"], "--policy", SPEC["policy"],
         "--token", SPEC["approver_token"], "--reason", f"{verdict} by the Python SDK test"],
        check=True, capture_output=True, env=dict(os.environ, **SPEC["server_env"]),
    )


async def scenario(client):
    b, k = SPEC["args"]["bucket"], SPEC["keys"]
    tools = []

    async def list_tools():
        nonlocal tools
        tools = (await client.list_tools()).tools
        without = [t.name for t in tools if not t.output_schema]
        return bool(tools) and not without, f"{len(tools)} tools; without output schema: {without}"

    await check("list_tools", list_tools)

    # Every read tool, with the seeded values for its required arguments: the SDK accepts each
    # answer (it validates structured content against the tool's output schema). Write tools
    # are called by the checks below; every tool's answer is validated in schemas.rs too.
    for tool in [t for t in tools if t.annotations and t.annotations.read_only_hint]:
        async def call(tool=tool):
            result = await client.call_tool(tool.name, arguments_for(tool))
            if tool.name in SPEC["error_expected"]:
                return result.is_error and result.structured_content is None, text(result)[:200]
            return not result.is_error and result.structured_content is not None, text(result)[:200]

        await check(f"call:{tool.name}", call)

    def delete(key):
        return client.call_tool("s3_delete_object", {"bucket": b, "key": key, "reason": "SDK test"})

    async def held_then_approved():
        first = await delete(k["approve"])
        if not held(first):
            return False, "expected a held call: " + text(first)
        request_id = first.structured_content["awsgate"]["request_id"]
        if not request_id.startswith("apr_") or "waiting for a human approver" not in text(first):
            return False, text(first)
        approvals("approve", request_id)
        again = await delete(k["approve"])
        return not again.is_error and not held(again) and again.structured_content is not None, text(again)

    async def approver_denied():
        first = await delete(k["deny"])
        if not held(first):
            return False, "expected a held call: " + text(first)
        approvals("deny", first.structured_content["awsgate"]["request_id"])
        again = await delete(k["deny"])
        return again.is_error and "was denied by user:approver" in text(again), text(again)

    def put(key):
        return client.call_tool("s3_put_object", {"bucket": b, "key": key, "body": "confirmed"})

    async def confirm_accepted():
        global answer
        answer = "accept"
        result = await put(k["confirm_yes"])
        return not result.is_error and result.structured_content is not None, text(result)

    async def confirm_declined():
        global answer
        answer = "decline"
        result = await put(k["confirm_no"])
        return result.is_error and "did not confirm" in text(result), text(result)

    async def refused(tool, args, pattern):
        result = await client.call_tool(tool, args)
        return result.is_error and re.search(pattern, text(result)) is not None, text(result)

    await check("held_then_approved", held_then_approved)
    await check("approver_denied", approver_denied)
    await check("confirm_accepted", confirm_accepted)
    await check("confirm_declined", confirm_declined)
    await check("aws_error", lambda: refused(
        "s3_get_object", {"bucket": b, "key": k["missing"]}, r"AWS refused `s3_get_object`: NoSuchKey"))
    await check("denied", lambda: refused(
        "s3_get_object", {"bucket": b, "key": k["secret"]}, r"denied by policy rule `no-secrets`"))
    await check("unknown_tool", lambda: refused("s3_lst_buckets", {}, r"unknown tool `s3_lst_buckets`"))
    await check("bad_arguments", lambda: refused(
        "s3_list_objects", {}, r"invalid arguments for `s3_list_objects`"))


async def token_refused():
    """A bad token: over HTTP a 401 before MCP; over stdio a clear refusal from awsgate, which
    the Python SDK raises as an MCP error when it first lists the tools to validate a result."""
    try:
        async with client_for(SPEC["bad_token"]) as client:
            result = await client.call_tool("s3_list_buckets", {})
            return result.is_error and "did not accept your identity" in text(result), text(result)
    except BaseException as e:  # noqa: BLE001 - the refusal is what this check expects
        said = "".join(traceback.format_exception(e))
        return re.search("did not accept (your identity|the token)", said) is not None, said[-600:]


async def main():
    report("sdk_version", True, version("mcp"))
    async with client_for(SPEC["agent_token"]) as client:
        report("protocol", True, client.protocol_version)
        await scenario(client)
    await check("token_refused", token_refused)


if __name__ == "__main__":
    if SPEC is None:
        print("AWSGATE_CLIENT_CASE is not set: run this through tools/test", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main())
    except BaseException:  # noqa: BLE001
        report("run", False, "client-side exception: " + traceback.format_exc())
    print(f"python-sdk: {'all checks passed' if failed == 0 else f'{failed} check(s) failed'}", flush=True)
    sys.exit(0 if failed == 0 else 1)
