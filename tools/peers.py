"""`tools/bench peers`: awsgate side by side with the awslabs MCP servers, in one run.

Each server is started over stdio by the official MCP Python SDK's client and asked to list IAM
users in the same moto: awsgate (`iam_list_users`), awslabs iam-mcp-server (`list_users`) and
awslabs aws-api-mcp-server (`call_aws` with `aws iam list-users`). Reported per server: start →
initialize, call p50/p90, peak resident memory; and, as floors, the same call with boto3 (a
reused client) and a raw HTTP keep-alive request to moto. Medians over ROUNDS rounds.

Usage: python tools/peers.py AWSGATE_BINARY IAM_SERVER_EXE API_SERVER_EXE
(tools/bench peers installs the servers and passes them; moto's address is AWS_ENDPOINT_URL.)
"""

import asyncio
import http.client
import os
import statistics
import sys
import tempfile
import time
import urllib.parse

import boto3
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROUNDS = 3
CALLS = 50
RUN_DIR = tempfile.gettempdir()
# The aws-api server fetches the AWS service reference at start; this machine is offline, so a
# launcher answers that one request with an empty list (the server then relies on the metadata
# it ships with, which knows ListUsers is read-only).
OFFLINE_LAUNCHER = """
import sys, requests
_get = requests.get
class _Empty:
    def json(self):
        return []
def _offline(url, *a, **k):
    if url.startswith('https://servicereference.'):
        return _Empty()
    return _get(url, *a, **k)
requests.get = _offline
from awslabs.aws_api_mcp_server.server import main
sys.exit(main())
"""


def children_of(pid):
    """Processes whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return found


def peak_rss_kib(pid):
    """VmHWM of a process and its children (the aws-api server runs under a launcher)."""
    total = 0
    for p in [pid] + children_of(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def stderr_path(name):
    """Where a server's stderr goes: a file in the run's folder, shown when the server fails."""
    slug = "".join(c if c.isalnum() else "-" for c in name.split(",")[0]).strip("-")
    return os.path.join(RUN_DIR, f"{slug}.stderr")


async def one_round(name, params, tool, args, check):
    try:
        with open(stderr_path(name), "a") as errlog:
            return await timed_round(name, params, tool, args, check, errlog)
    except BaseException as failure:
        with open(stderr_path(name)) as f:
            tail = f.read()[-2000:]
        raise SystemExit(f"{name} failed: {failure!r}\nits stderr ends with:\n{tail}") from failure


async def timed_round(name, params, tool, args, check, errlog):
    before = set(children_of(os.getpid()))
    started = time.perf_counter()
    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            start_ms = (time.perf_counter() - started) * 1e3
            server = [p for p in children_of(os.getpid()) if p not in before]
            latencies = []
            for _ in range(CALLS):
                t = time.perf_counter()
                result = await session.call_tool(tool, args)
                latencies.append((time.perf_counter() - t) * 1e3)
                text = " ".join(getattr(c, "text", "") for c in result.content)
                if result.is_error or not check(result, text):
                    raise SystemExit(f"{name}: the call did not list users: {text[:400]}")
            rss = peak_rss_kib(server[0]) if server else 0
    latencies.sort()
    return start_ms, latencies, rss


def pct(sorted_ms, p):
    return sorted_ms[min(len(sorted_ms) - 1, round((len(sorted_ms) - 1) * p))]


async def measure(name, params, tool, args, check):
    rounds = [await one_round(name, params, tool, args, check) for _ in range(ROUNDS)]
    return {
        "name": name,
        "start": statistics.median(r[0] for r in rounds),
        "p50": statistics.median(pct(r[1], 0.5) for r in rounds),
        "p90": statistics.median(pct(r[1], 0.9) for r in rounds),
        "rss": max(r[2] for r in rounds) / 1024,
    }


def boto3_floor():
    iam = boto3.client("iam", region_name="us-east-1")
    iam.list_users()
    taken = []
    for _ in range(ROUNDS * CALLS):
        t = time.perf_counter()
        iam.list_users()
        taken.append((time.perf_counter() - t) * 1e3)
    return statistics.median(taken)


def raw_floor(endpoint):
    url = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/iam/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    body = "Action=ListUsers&Version=2010-05-08"
    taken = []
    for _ in range(ROUNDS * CALLS + 1):
        t = time.perf_counter()
        conn.request("POST", "/", body, headers)
        response = conn.getresponse()
        data = response.read()
        taken.append((time.perf_counter() - t) * 1e3)
        if response.status != 200 or b"ListUsersResult" not in data:
            raise SystemExit(f"raw request to moto failed: {response.status} {data[:200]!r}")
    return statistics.median(taken[1:])


def seed(endpoint):
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint)
    for i in range(5):
        try:
            iam.create_user(UserName=f"peer-bench-{i}")
        except iam.exceptions.EntityAlreadyExistsException:
            pass


def main():
    awsgate, iam_server, api_server = sys.argv[1:4]
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    seed(endpoint)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "FASTMCP_LOG_LEVEL": "ERROR",
        "RUST_LOG": "warn",
    }
    global RUN_DIR
    here = RUN_DIR = tempfile.mkdtemp(prefix="awsgate-peers-")
    launcher = os.path.join(here, "aws_api_offline.py")
    with open(launcher, "w") as f:
        f.write(OFFLINE_LAUNCHER)
    api_python = os.path.join(os.path.dirname(api_server), "python")
    policy = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "policies", "readonly.toml")
    lists = lambda result, text: "peer-bench-0" in text  # noqa: E731
    servers = [
        ("awsgate stdio, `iam_list_users`",
         StdioServerParameters(command=awsgate, args=["serve", "--policy", policy, "--db", os.path.join(here, "audit.db")], env=env),
         "iam_list_users", {}),
        ("awslabs iam-mcp-server 1.1.2, `list_users`",
         StdioServerParameters(command=iam_server, args=[], env=env),
         # The server's `list_users` declares a `ctx: CallToolResult` argument it never reads
         # but validates (a bug in 1.1.2); an empty one satisfies it.
         "list_users", {"ctx": {"content": []}}),
        ("awslabs aws-api-mcp-server 1.5.6, `call_aws iam list-users`",
         StdioServerParameters(command=api_python, args=[launcher], env={**env, "READ_OPERATIONS_ONLY": "true", "AWS_API_MCP_WORKING_DIR": here}),
         "call_aws", {"cli_command": "aws iam list-users"}),
    ]
    results = [asyncio.run(measure(name, params, tool, args, lists)) for name, params, tool, args in servers]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    boto = boto3_floor()
    raw = raw_floor(endpoint)
    ours = results[0]
    print(f"\n## Side by side: one IAM ListUsers through each MCP server over stdio, same moto, official Python MCP client ({ROUNDS} rounds x {CALLS} calls, medians)\n")
    print("| | start → initialize | call p50 / p90 | peak RSS | awsgate is … faster to start / to answer, … less memory |")
    print("|---|---|---|---|---|")
    for r in results:
        ratio = "—" if r is ours else f"{r['start'] / ours['start']:.0f}× / {r['p50'] / ours['p50']:.1f}× / {r['rss'] / ours['rss']:.1f}×"
        print(f"| {r['name']} | {r['start']:.0f} ms | {r['p50']:.1f} / {r['p90']:.1f} ms | {r['rss']:.0f} MiB | {ratio} |")
    print(f"| boto3 direct, reused client (no MCP, no governance) | — | {boto:.1f} ms | — | |")
    print(f"| raw HTTP keep-alive to moto | — | {raw:.1f} ms | — | |")


if __name__ == "__main__":
    main()
