// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The V8 layout on real node binaries: every required constant resolves and
 * every cross-check holds, on the four tested majors and on every build of
 * tests/node-matrix.
 *
 * The pinned values were checked independently of this code, on the builds
 * of tests/node-versions (20.20.2, 22.23.3, 24.21.0, 26.12.1), against a live
 * process: `node --allow-natives-syntax` ran %DebugPrint on a plain function,
 * a class, Uint8Array, Promise and a cons string, then waited on stdin while
 * a script read /proc/PID/mem at the printed addresses:
 *  - JSFunction.shared / .context / .code: the offset at which the
 *    function's words hold the printed shared_info / context / code;
 *    on 24 and 26 the printed code is in no slot and the printed 32-bit
 *    dispatch_handle sits at +24;
 *  - HeapObject.map, Map.instance_type: the printed map is the word at +0,
 *    and the uint16 at map+12 is 2066 (2065 on 24) for a map printed as
 *    JS_FUNCTION_TYPE and 41 for CONS_ONE_BYTE_STRING_TYPE;
 *  - SharedFunctionInfo: the instance type read through its map, and the
 *    types of the objects in its slots: a BytecodeArray at +8 for the
 *    compiled function (function_data), a ScopeInfo at name_or_scope_info,
 *    a Script at script;
 *  - the class constructor's instance type (JS_CLASS_CONSTRUCTOR_TYPE),
 *    the last of the JSFunction range: 2081 on 20, 2082 on 22 and 26,
 *    2081 on 24.
 * The embedded blob's address and size come from `nm` and `objdump -s` on
 * v8_Default_embedded_blob_code_ and ..._size_.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/json_writer.h"
#include "out/out_doctor_v8.h"
#include "resolve/resolve_node.h"
#include "resolve/v8_layout.h"
#include "unit.h"

static struct v8_layout l;

/* Every required constant found, every check recorded and passed. */
static bool check_complete(const char *bin)
{
	int err = v8_layout__resolve(bin, &l);
	bool ok;

	if (!ASSERT_OK(err, "v8_layout__resolve")) {
		fprintf(stderr, "  %s: %s\n", bin, l.error);
		return false;
	}
	ok = ASSERT_TRUE(l.nchecks >= 20, "cross-checks ran");
	for (int i = 0; i < l.nchecks; i++)
		ok &= ASSERT_TRUE(l.checks[i].ok, l.checks[i].what);
	for (int id = 0; id < V8C_COUNT; id++)
		if (v8_const_required(id))
			ok &= ASSERT_TRUE(l.c[id].found && l.c[id].source[0], v8_const_name(id));
	ok &= ASSERT_TRUE(l.blob.size > 0 && l.blob.file_off > 0, "embedded blob");
	for (int b = 0; b < V8B_COUNT; b++)
		ok &= ASSERT_TRUE(l.builtins[b].found, l.builtins[b].name);
	return ok;
}

struct expect {
	int major;
	const char *node_version; /* the build the values were checked on */
	int v8_major, v8_minor;
	int shared, context, code, dispatch; /* -1: none */
	int sfi_type, sfi_name, sfi_script, class_ctor_type;
	uint64_t blob, blob_size;
};

/* Whether the pinned values were compared (the build is the one checked). */
static bool check_build(const struct expect *e)
{
	const char *bin = unit_node_binary(e->major);
	char version[32] = "";

	if (!bin) {
		unit_skip("node binary not available (run make nodes)");
		return false;
	}
	if (!check_complete(bin))
		return false;
	ASSERT_EQ(l.version[0], e->v8_major, "V8 major");
	ASSERT_EQ(l.version[1], e->v8_minor, "V8 minor");
	node_binary_version(bin, version, sizeof(version));
	if (strcmp(version + 1, e->node_version)) {
		fprintf(stderr, "  %s is %s, values checked on %s: structure only\n", bin, version,
			e->node_version);
		return false;
	}
	ASSERT_EQ(l.c[V8C_HEAP_OBJECT_MAP].value, 0, "HeapObject.map");
	ASSERT_EQ(l.c[V8C_MAP_INSTANCE_TYPE].value, 12, "Map.instance_type");
	ASSERT_EQ(l.c[V8C_JS_FUNCTION_SHARED].value, e->shared, "JSFunction.shared");
	ASSERT_EQ(l.c[V8C_JS_FUNCTION_CONTEXT].value, e->context, "JSFunction.context");
	ASSERT_EQ(l.c[V8C_JS_FUNCTION_CODE].found ? l.c[V8C_JS_FUNCTION_CODE].value : -1, e->code,
		  "JSFunction.code");
	ASSERT_EQ(l.c[V8C_JS_FUNCTION_DISPATCH].found ? l.c[V8C_JS_FUNCTION_DISPATCH].value : -1,
		  e->dispatch, "JSFunction dispatch handle");
	ASSERT_EQ(l.leaptiering, e->dispatch >= 0, "leaptiering");
	ASSERT_EQ(l.c[V8C_TYPE_SFI].value, e->sfi_type, "SharedFunctionInfo type");
	ASSERT_EQ(l.c[V8C_SFI_FUNCTION_DATA].value, 8, "SharedFunctionInfo.function_data");
	ASSERT_EQ(l.c[V8C_SFI_NAME_OR_SCOPE_INFO].value, e->sfi_name,
		  "SharedFunctionInfo.name_or_scope_info");
	ASSERT_EQ(l.c[V8C_SFI_SCRIPT].value, e->sfi_script, "SharedFunctionInfo.script");
	/* the class constructor must fall inside the range the walker accepts */
	ASSERT_TRUE(l.c[V8C_TYPE_JS_FUNCTION_LAST].value >= e->class_ctor_type,
		    "class constructors are JSFunctions");
	ASSERT_EQ(l.blob.vaddr, e->blob, "embedded blob address");
	ASSERT_EQ(l.blob.size, e->blob_size, "embedded blob size");
	return true;
}

void test_v8_layout__node20(void)
{
	/* V8 11.3: no code symbol, the code slot found by elimination; the
	 * JSFunction range is not named, so it is derived */
	struct expect e = {20, "20.20.2", 11, 3,  24,	32,	   48,
			   -1, 262,	  16, 32, 2081, 0x18c4000, 0x191ac0};

	if (check_build(&e))
		ASSERT_TRUE(!strncmp(l.c[V8C_TYPE_JS_FUNCTION_LAST].source, "derived", 7),
			    "JSFunction range derived on V8 11");
}

void test_v8_layout__node22(void)
{
	struct expect e = {22, "22.23.3", 12, 4,  32,	40,	   24,
			   -1, 274,	  16, 32, 2082, 0x1d52000, 0x1dfa40};

	check_build(&e);
}

void test_v8_layout__node24(void)
{
	struct expect e = {24, "24.21.0", 13, 6,  32,	40,	   -1,
			   24, 282,	  24, 40, 2081, 0x1a27000, 0x204d80};

	check_build(&e);
}

/* V8 14.6 renumbered the frame types: read, never assumed */
void test_v8_layout__node26(void)
{
	struct expect e = {26, "26.12.1", 14, 6,  32,	40,	   -1,
			   24, 288,	  24, 40, 2082, 0x1a25000, 0x214ec0};

	if (!check_build(&e))
		return;
	/* markers as `nm -D` + readelf show v8dbg_frametype_* in 26.12.1 */
	ASSERT_EQ(v8_layout__frame_type(&l, "InterpretedFrame"), 4, "InterpretedFrame marker");
	ASSERT_EQ(v8_layout__frame_type(&l, "EntryFrame"), 1, "EntryFrame marker");
	ASSERT_STREQ(v8_layout__frame_type_name(&l, 7), "TurbofanJSFrame", "marker 7");
}

void test_v8_layout__not_node(void)
{
	int err = v8_layout__resolve("/bin/sh", &l);

	ASSERT_EQ(err, -ESRCH, "/bin/sh has no V8");
	ASSERT_STREQ(l.error, "no v8dbg_* metadata: JS stacks unavailable for this build",
		     "the error says so");
	ASSERT_EQ(v8_layout__resolve("/nonexistent/node", &l), -ENOENT, "missing file");
}

/*
 * Every build of the doctor matrix (an early and the newest of each line):
 * offsets move inside a line, so each one must resolve and pass its checks.
 */
void test_v8_layout__matrix(void)
{
	FILE *f = fopen("tests/node-matrix", "r");
	char line[256], path[512];
	int resolved = 0, missing = 0;

	if (!ASSERT_TRUE(f != NULL, "tests/node-matrix (run from the top folder)"))
		return;
	while (fgets(line, sizeof(line), f)) {
		char version[64], source[64];
		const char *home = getenv("HOME");

		if (line[0] == '#' || sscanf(line, "%63s %63s", version, source) != 2)
			continue;
		if (!strcmp(source, "system"))
			snprintf(path, sizeof(path), "%s",
				 unit_node_binary(atoi(version)) ?: "/usr/bin/node");
		else
			snprintf(path, sizeof(path), "%s/.cache/asyncscope/node-%s/bin/node",
				 home ? home : "", version);
		if (access(path, R_OK)) {
			missing++;
			continue;
		}
		if (!check_complete(path))
			fprintf(stderr, "  matrix build %s (%s) failed\n", version, path);
		resolved++;
	}
	fclose(f);
	if (missing)
		unit_skip("matrix builds not fetched (tools/fetch-node.sh --version X.Y.Z)");
	ASSERT_TRUE(resolved + missing >= 8, "the matrix lists early and newest builds");
}

/* doctor's section: one clear line when a build has no metadata */
void test_v8_layout__doctor_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err = v8_layout__resolve("/bin/sh", &l);

	doctor_print_v8_text(f, err, &l);
	fclose(f);
	ASSERT_STREQ(buf, "V8 layout   no v8dbg_* metadata: JS stacks unavailable for this build\n",
		     "doctor line");
	free(buf);
}

/* doctor --format json: each constant with its value, source and need */
void test_v8_layout__doctor_json(void)
{
	const char *bin = unit_node_binary(24);
	struct json_writer w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (!bin) {
		unit_skip("node binary not available (run make nodes)");
		return;
	}
	err = v8_layout__resolve(bin, &l);
	f = open_memstream(&buf, &len);
	jsonw_init(&w, f, false);
	jsonw_start_object(&w);
	doctor_print_v8_json(&w, err, &l);
	jsonw_end_object(&w);
	fclose(f);
	ASSERT_TRUE(strstr(buf, "\"available\":true") != NULL, buf);
	ASSERT_TRUE(strstr(buf, "\"fp.function\":{\"value\":-16,\"source\":\"v8dbg_off_fp_"
				"function\",\"required\":true}") != NULL,
		    "fp.function with its source");
	ASSERT_TRUE(strstr(buf, "\"JSFunction.code\":{\"value\":null") != NULL,
		    "no code field under leaptiering");
	free(buf);
}
