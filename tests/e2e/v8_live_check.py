#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Checks the V8 layout doctor derived against a live heap, independently of
asyncscope's code: V8's own %DebugPrint gives the addresses of a function, a
class and a cons string and what their fields hold; this reads the target's
memory at those addresses with the derived offsets and compares.

    v8_live_check.py PID DEBUGPRINT_FILE DOCTOR_JSON SCRIPT_PATH
Prints one "ok: ..." or "FAIL: ..." line per check; exits 1 on a failure.
"""
import json
import re
import struct
import sys

pid, printed, doctor, script = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
c = {k: v["value"] for k, v in json.load(open(doctor))["v8"]["constants"].items()}
mem = open(f"/proc/{pid}/mem", "rb")
failures = 0


def read(addr, fmt):
    mem.seek(addr)
    return struct.unpack(fmt, mem.read(struct.calcsize(fmt)))[0]


def field(tagged, off, fmt="<Q"):
    return read(tagged - c["tag.heap_object"] + off, fmt)


def itype(tagged):
    return field(field(tagged, c["HeapObject.map"]), c["Map.instance_type"], "<H")


def string(tagged, depth=0):
    """A one-byte string's text, through cons and thin strings."""
    t = itype(tagged)
    repr_, enc = t & c["string.representation_mask"], t & c["string.encoding_mask"]
    if repr_ == c["string.cons_tag"] and depth < 8:
        return string(field(tagged, c["ConsString.first"]), depth + 1) + string(
            field(tagged, c["ConsString.second"]), depth + 1)
    if repr_ == c["string.thin_tag"] and depth < 8:
        return string(field(tagged, c["ThinString.actual"]), depth + 1)
    if repr_ != c["string.seq_tag"] or enc != c["string.one_byte_tag"]:
        return f"<string type {t}>"
    n = field(tagged, c["String.length"], "<i")
    mem.seek(tagged - c["tag.heap_object"] + c["SeqOneByteString.chars"])
    return mem.read(n).decode("latin-1")


def check(what, cond):
    global failures
    print(("ok: " if cond else "FAIL: ") + what)
    failures += not cond


def check_read(what, fn):
    """A check whose reads may fault when an offset is wrong: that fails it."""
    try:
        cond = fn()
    except (OSError, ValueError, struct.error, AttributeError) as e:
        what, cond = f"{what} (read failed: {e})", False
    check(what, cond)


objs = []
for block in open(printed).read().split("DebugPrint: ")[1:]:
    head = block.splitlines()[0]
    o = {"addr": int(head.split(":")[0], 16), "head": head}
    for line in block.splitlines()[1:]:
        m = re.match(r"\s*- ([a-z_ ]+): (0x[0-9a-f]+)", line)
        if m and m.group(1) not in o:
            o[m.group(1)] = int(m.group(2), 16)
    m = re.search(r"- type: (\w+)", block)
    o["type"] = m.group(1) if m else ""
    objs.append(o)

first, last = c["type.js_function_first"], c["type.js_function_last"]
for o in objs:
    if o["type"] not in ("JS_FUNCTION_TYPE", "JS_CLASS_CONSTRUCTOR_TYPE"):
        continue
    f, name, sfi = o["addr"], o["type"], o["shared_info"]
    check_read(f"{name}: HeapObject.map holds the printed map",
               lambda: field(f, c["HeapObject.map"]) == o["map"])
    check_read(f"{name}: its type is in the JSFunction range {first}..{last}",
               lambda: first <= itype(f) <= last)
    check_read(f"{name}: JSFunction.shared holds the printed shared_info",
               lambda: field(f, c["JSFunction.shared"]) == sfi)
    check_read(f"{name}: JSFunction.context holds the printed context",
               lambda: field(f, c["JSFunction.context"]) == o["context"])
    if c["JSFunction.code"] is not None:
        check_read(f"{name}: JSFunction.code holds the printed code",
                   lambda: field(f, c["JSFunction.code"]) == o["code"])
    else:
        check_read(f"{name}: the dispatch handle slot holds the printed dispatch_handle",
                   lambda: field(f, c["JSFunction.dispatch_handle"], "<I") ==
                   o.get("dispatch_handle"))
    check_read(f"{name}: the SharedFunctionInfo's type is {c['type.SHARED_FUNCTION_INFO']}",
               lambda: itype(sfi) == c["type.SHARED_FUNCTION_INFO"])
    check_read(f"{name}: name_or_scope_info is a ScopeInfo or a string",
               lambda: itype(field(sfi, c["SharedFunctionInfo.name_or_scope_info"])) in
               (c["type.SCOPE_INFO"],) or
               itype(field(sfi, c["SharedFunctionInfo.name_or_scope_info"])) <
               c["type.first_nonstring"])
    check_read(f"{name}: SharedFunctionInfo.script is a Script",
               lambda: itype(field(sfi, c["SharedFunctionInfo.script"])) == c["type.SCRIPT"])
    check_read(f"{name}: Script.name is the script's path",
               lambda: string(field(field(sfi, c["SharedFunctionInfo.script"]),
                                    c["Script.name"])) == script)
    if name != "JS_FUNCTION_TYPE":
        continue
    check_read(f"{name}: function_data of the called function is its BytecodeArray",
               lambda: itype(field(sfi, c["SharedFunctionInfo.function_data"])) ==
               c["type.BYTECODE_ARRAY"])
    check_read(f"{name}: Script.source holds the script",
               lambda: "function liveCheckProbe" in
               string(field(field(sfi, c["SharedFunctionInfo.script"]), c["Script.source"])))

cons = [o for o in objs if o["type"] == "CONS_ONE_BYTE_STRING_TYPE"]
check("a cons string was printed", len(cons) == 1)
if cons:
    text = re.search(r'c"([^"]*)"', cons[0]["head"]).group(1)
    check_read(f"the cons string reads back through ConsString.first/second ({text})",
               lambda: string(cons[0]["addr"]) == text)
sys.exit(1 if failures else 0)
