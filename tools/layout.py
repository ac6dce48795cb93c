"""`tools/layout`: which functions a stdio session of awsgate runs, as a linker script that
places them together at the front of the binary's code (link/hot-text.ld).

A stdio server maps its binary's code in 64 KiB windows (the kernel's fault-around), so its
resident memory is set by how many windows the code it runs is spread over, not by how much
code it runs: 3.5–7 MB of functions (the stand-in / moto) spread over ~14 MiB of windows
before this layout.

Each binary given is run under valgrind's callgrind through one stdio session (initialize,
tools/list, calls that are allowed, held, denied, masked, invalid and failing), against moto or
the bench-only AWS stand-in. The functions it ran that the binary defines are written as
section patterns, with the legacy-mangling hash replaced by `*`: the hashes
change with the toolchain, the dependencies' versions and features, and whether cargo builds
for `install`, `build --release` or `bench`, while the names do not. A generic function's
instances share a name, so all of them come to the front with the ones the session ran: the
front grows (12 MB rather than 7), but the list holds for every build, and the pages a session
keeps resident grow by only 1–3 MiB (measured against a list with the hashes).

Usage: python tools/layout.py OUT.ld BINARY:moto|instant ...   (tools/layout passes these)
       python tools/layout.py --check SCRIPT.ld BINARY   (how much of the list a build placed)
"""

import json
import os
import re
import subprocess
import sys
import tempfile

POLICY = """
[identity]
mode = "local"

[[rule]]
id = "everything"
principals = ["*"]
tools = ["*"]
effect = "allow"

[[rule]]
id = "writes-held"
principals = ["*"]
tools = ["s3_put_object"]
effect = "approve"
approvers = ["group:sre"]

[[rule]]
id = "no-bucket-deletes"
principals = ["*"]
tools = ["s3_delete_bucket"]
effect = "deny"
reason = "deleting a bucket needs a change ticket"

[[mask]]
id = "pii"
tools = ["*"]
detectors = ["email", "aws_access_key_id", "aws_secret_access_key", "ipv4", "credit_card"]
strategy = "token"

[approvals]
wait = "0s"
"""

BUCKET = "awsgate-layout"

# (tool, arguments): what an agent typically does in a session, with the refusals and errors.
CALLS = [
    ("sts_get_caller_identity", {}),
    ("s3_list_buckets", {}),
    ("s3_list_objects", {"bucket": BUCKET}),
    ("s3_list_objects", {"bucket": BUCKET, "prefix": "notes/", "max_keys": 5}),
    ("s3_get_object", {"bucket": BUCKET, "key": "notes/contacts.txt"}),
    ("s3_head_object", {"bucket": BUCKET, "key": "notes/contacts.txt"}),
    ("s3_get_object", {"bucket": BUCKET, "key": "missing.txt"}),
    ("s3_put_object", {"bucket": BUCKET, "key": "new.txt", "body": "x"}),
    ("s3_delete_bucket", {"bucket": BUCKET}),
    ("s3_list_objects", {"bucket": 7}),
    ("iam_list_users", {}),
    ("iam_get_user", {"user_name": "layout-user"}),
    ("iam_get_role", {"role_name": "no-such-role"}),
    ("iam_list_roles", {}),
    ("ec2_describe_instances", {}),
    ("ec2_describe_security_groups", {}),
    ("no_such_tool", {}),
]


def seed_moto():
    """A bucket with an object that has things to mask, and an IAM user."""
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    body = "dana@example.com AKIAIOSFODNN7EXAMPLE 10.0.0.12 4111 1111 1111 1111\n"
    s3.put_object(Bucket=BUCKET, Key="notes/contacts.txt", Body=body.encode())
    iam = boto3.client("iam")
    try:
        iam.create_user(UserName="layout-user")
    except iam.exceptions.EntityAlreadyExistsException:
        pass


def session(binary, backend, work):
    """One stdio session under callgrind; returns the path of callgrind's output."""
    policy = os.path.join(work, "policy.toml")
    with open(policy, "w") as f:
        f.write(POLICY)
    out = os.path.join(work, f"callgrind.{backend}.out")
    db = os.path.join(work, f"audit.{backend}.db")
    args = ["serve", "--policy", policy, "--db", db]
    if backend == "instant":
        args.insert(1, "--bench-instant-aws")
    command = ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}", binary, *args]
    log = open(os.path.join(work, f"server.{backend}.log"), "w")
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
    ids = iter(range(1, 1_000_000))

    def send(method, params, notify=False):
        message = {"jsonrpc": "2.0", "method": method, "params": params}
        if not notify:
            message["id"] = next(ids)
        server.stdin.write((json.dumps(message) + "\n").encode())
        server.stdin.flush()
        while not notify:
            line = server.stdout.readline()
            if not line:
                raise SystemExit(f"the server under callgrind stopped; see {log.name}")
            answer = json.loads(line)
            if answer.get("id") == message["id"]:
                return answer

    send("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "layout", "version": "1"}})
    send("notifications/initialized", {}, notify=True)
    send("tools/list", {})
    errors = 0
    for _ in range(3):
        for tool, arguments in CALLS:
            answer = send("tools/call", {"name": tool, "arguments": arguments})
            errors += bool(answer.get("error") or answer["result"].get("isError"))
    # Held, denied, invalid, unknown, missing: 6 of the 17 calls are meant to be refused.
    print(f"{backend}: {3 * len(CALLS)} calls, {errors} refused or failed", file=sys.stderr)
    server.stdin.close()
    if server.wait() != 0:
        raise SystemExit(f"the server under callgrind exited with {server.returncode}; see {log.name}")
    return out


def functions_run(callgrind_out):
    """The mangled names of the functions callgrind saw run."""
    names, run = {}, set()
    for line in open(callgrind_out, errors="replace"):
        # `fn=(3) name` names function 3 and says it ran; `cfn=(3) name` only names it (a
        # function called); either may come first, and later mentions give the number alone.
        m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?", line)
        if m:
            if m.group(3):
                names[m.group(2)] = m.group(3).strip()
            if not m.group(1):
                run.add(m.group(2))
    return {names[i] for i in run if i in names}


def function_symbols(binary):
    """(address, name) of each function symbol the binary defines."""
    listing = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    fields = (line.split() for line in listing.splitlines())
    return [(int(f[0], 16), f[2]) for f in fields if len(f) == 3 and f[1] in "tTwW"]


def defined_functions(binary):
    """The names of the functions the binary defines."""
    return {name for _, name in function_symbols(binary)}


LEGACY_HASH = re.compile(r"17h[0-9a-f]{16}E")
# A local function LTO promoted gets a number (`write_str.5965`), and the numbers shift with any
# change anywhere in the program: all of one function's numbered copies stand for it.
LTO_NUMBER = re.compile(r"\.[0-9]+$")


def hashless(symbol):
    """The symbol with its legacy-mangling hash and its LTO number replaced by `*`."""
    return LTO_NUMBER.sub(".*", LEGACY_HASH.sub("17h*", symbol))


def check(script, binary):
    """How many of the script's functions the binary has, and how many lie in `.text.hot`."""
    patterns = [line.split()[0][len(".text."):] for line in open(script) if line.startswith("      .text.")]
    symbols = {}
    for address, name in function_symbols(binary):
        symbols.setdefault(hashless(name), []).append(address)
    headers = subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout
    hot = next((line.split() for line in headers.splitlines() if " .text.hot " in line), None)
    start, size = (int(hot[hot.index(".text.hot") + 2], 16), int(hot[hot.index(".text.hot") + 4], 16)) if hot else (0, 0)
    found = [p for p in patterns if p in symbols]
    placed = [p for p in found if any(start <= a < start + size for a in symbols[p])]
    print(f"{binary}: {len(found)} of the {len(patterns)} functions in {script} are defined, "
          f"{len(placed)} of them in .text.hot ({size / 1024:.0f} KiB)")
    return len(placed) * 2 >= len(patterns)


def main():
    if sys.argv[1] == "--check":
        sys.exit(0 if check(sys.argv[2], sys.argv[3]) else 1)
    out, targets = sys.argv[1], sys.argv[2:]
    work = tempfile.mkdtemp(prefix="awsgate-layout-")
    if any(t.endswith(":moto") for t in targets):
        seed_moto()
    patterns = set()
    for target in targets:
        binary, backend = target.rsplit(":", 1)
        defined = defined_functions(binary)
        run = {name for name in functions_run(session(binary, backend, work)) if name in defined}
        patterns |= {hashless(name) for name in run}
    # One input-section list: the linker checks every section against it once (one list per
    # function took 4× as long), and the order inside it does not change which pages are used.
    lines = [f"      .text.{p} .text.unlikely.{p}" for p in sorted(patterns)]
    with open(out, "w") as f:
        f.write(HEADER)
        f.write("SECTIONS {\n  .text.hot : {\n    *(\n")
        f.write("\n".join(lines))
        f.write("\n    )\n  }\n} INSERT BEFORE .text;\n")
    print(f"{len(lines)} functions written to {out}", file=sys.stderr)


HEADER = """/* The functions a stdio session of awsgate runs, placed together before the rest of its code
 * (the binary's resident memory is set by how much code its work is spread over). Written by
 * tools/layout; build.rs passes it to the linker for release builds. `17h*` stands for the
 * mangling hash, which changes with the toolchain and the build, and `.*` for the number LTO
 * gives a local function, which changes with any change to the program. */
"""

if __name__ == "__main__":
    main()
